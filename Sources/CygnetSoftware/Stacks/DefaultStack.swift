/// The stack `cygnet up` builds on first run: what a physics class or an outreach tutorial needs, pinned so
/// every machine gets the same versions.
public enum DefaultStack {
    public static let name = "default"
    public static let description =
        "Python 3 with JupyterLab, NumPy, SciPy, pandas, Matplotlib, uproot, awkward, hist and ROOT"
    public static let repository = "software.cygnet.local"

    public static let requirements = """
        # The default Cygnet stack. jupyterhub provides jupyterhub-singleuser, which sessions run.
        jupyterlab==4.6.6
        jupyterhub==6.1.1
        ipykernel
        numpy==2.4.6
        scipy==1.17.1
        pandas==3.1.1
        matplotlib==3.11.2
        uproot==5.7.7
        awkward==2.14.0
        hist==2.12.1
        root==0.1a12
        # ROOT's C++ Jupyter kernel is built on metakernel.
        metakernel==1.0.7
        """
}
