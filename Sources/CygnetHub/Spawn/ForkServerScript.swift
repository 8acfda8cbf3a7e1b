/// The fork server's Python program, written next to the session logs when the hub starts (compiled in, so the
/// hub needs no files beside its binary). See `ForkServer` for why it exists.
enum ForkServerScript {
    static let fileName = "cygnet_forkserver.py"

    static let source = #"""
        """Cygnet's fork server: starts JupyterLab sessions by forking a process that has already imported
        jupyterhub-singleuser and JupyterLab, instead of starting Python and importing them afresh (about two
        seconds of CPU) for every session. Each child then runs the unmodified `jupyterhub-singleuser` entry
        point, as its user, with the environment of the JupyterHub single-user contract.

        Protocol: one JSON request per connection on a Unix socket, answered with one JSON line:
        {"uid": 1001, "gid": 1001, "cwd": "/home/jupyter-ada", "env": {...}, "argv": [...], "log": "/path"}
        -> {"pid": 4242} or {"error": "..."}.
        """

        import json
        import os
        import signal
        import socket
        import sys
        import traceback

        PRELOAD = [
            "jupyterhub.singleuser",
            "jupyter_server.serverapp",
            "jupyterlab.labapp",
            "jupyterlab_server",
            "jupyter_server_terminals",
            "jupyter_lsp",
            "notebook_shim",
        ]


        def preload():
            for name in PRELOAD:
                try:
                    __import__(name)
                except Exception as error:  # a stack without one of them still works, only slower
                    print(f"fork server: could not preload {name}: {error}", flush=True)


        def reap(*_):
            while True:
                try:
                    pid, _ = os.waitpid(-1, os.WNOHANG)
                except ChildProcessError:
                    return
                if pid == 0:
                    return


        def close_other_descriptors():
            for name in os.listdir("/proc/self/fd"):
                descriptor = int(name)
                if descriptor > 2:
                    try:
                        os.close(descriptor)
                    except OSError:
                        pass


        def become_session(request):
            """Runs in the forked child and never returns."""
            code = 1
            try:
                os.setsid()
                for number in (signal.SIGCHLD, signal.SIGTERM, signal.SIGINT, signal.SIGHUP, signal.SIGPIPE):
                    signal.signal(number, signal.SIG_DFL)
                log = os.open(request["log"], os.O_WRONLY | os.O_CREAT | os.O_APPEND, 0o600)
                os.dup2(os.open(os.devnull, os.O_RDONLY), 0)
                os.dup2(log, 1)
                os.dup2(log, 2)
                close_other_descriptors()
                sys.stdout.reconfigure(line_buffering=True)
                sys.stderr.reconfigure(line_buffering=True)
                if request.get("uid") is not None:
                    os.setgroups([])
                    os.setgid(request["gid"])
                    os.setuid(request["uid"])
                os.chdir(request["cwd"])
                os.environ.clear()
                os.environ.update(request["env"])
                sys.argv = list(request["argv"])
                from jupyterhub.singleuser import main

                result = main()
                code = result if isinstance(result, int) else 0
            except SystemExit as exit:
                code = exit.code if isinstance(exit.code, int) else (0 if exit.code is None else 1)
            except BaseException:
                traceback.print_exc()
            finally:
                try:
                    sys.stdout.flush()
                    sys.stderr.flush()
                finally:
                    os._exit(code)


        def serve(path, parent):
            if os.path.exists(path):
                os.unlink(path)
            listener = socket.socket(socket.AF_UNIX, socket.SOCK_STREAM)
            listener.bind(path)
            os.chmod(path, 0o600)
            listener.listen(64)
            listener.settimeout(1.0)
            signal.signal(signal.SIGCHLD, reap)
            print(f"fork server: ready on {path}", flush=True)
            while True:
                if os.getppid() != parent:
                    return  # the hub is gone; its successor starts a fork server of its own
                try:
                    connection, _ = listener.accept()
                except socket.timeout:
                    continue
                with connection:
                    connection.settimeout(10)
                    try:
                        data = b""
                        while not data.endswith(b"\n"):
                            chunk = connection.recv(65536)
                            if not chunk:
                                break
                            data += chunk
                        request = json.loads(data)
                        pid = os.fork()
                        if pid == 0:
                            listener.close()
                            connection.close()
                            become_session(request)
                        connection.sendall(json.dumps({"pid": pid}).encode() + b"\n")
                    except Exception as error:
                        try:
                            connection.sendall(json.dumps({"error": str(error)}).encode() + b"\n")
                        except OSError:
                            pass


        if __name__ == "__main__":
            preload()
            serve(sys.argv[1], int(sys.argv[2]))
        """#
}
