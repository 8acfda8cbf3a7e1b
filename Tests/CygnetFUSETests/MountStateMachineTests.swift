import Testing

@testable import CygnetFUSE

/// The mount's life without a kernel: sessions are plain numbers.
@Suite struct MountStateMachineTests {
    @Test func mountServeAndUnmount() {
        var machine = MountStateMachine<Int>()
        #expect(machine.start() == .mount)
        #expect(machine.liveSession == nil)
        #expect(machine.mounted(7) == .serve)
        #expect(machine.liveSession == 7)
        #expect(machine.unmountRequested() == .stopServing(7))
        #expect(machine.liveSession == nil, "no invalidations once unmounting")
        #expect(
            machine.unmountRequested() == MountStateMachine<Int>.UnmountAction.none, "a second unmount does nothing")
        #expect(machine.stopped() == true)
        #expect(machine.start() == .refuse, "a mount runs once")
    }

    @Test func unmountFromOutsideIsNotRequested() {
        var machine = MountStateMachine<Int>()
        _ = machine.start()
        _ = machine.mounted(1)
        #expect(machine.stopped() == false)
        #expect(machine.unmountRequested() == MountStateMachine<Int>.UnmountAction.none, "nothing left to unmount")
    }

    @Test func unmountWhileMountingSkipsServing() {
        var machine = MountStateMachine<Int>()
        _ = machine.start()
        #expect(machine.unmountRequested() == MountStateMachine<Int>.UnmountAction.none, "no session yet")
        #expect(machine.mounted(3) == .unmountAtOnce)
        #expect(machine.liveSession == nil)
        #expect(machine.stopped() == true)
    }

    @Test func unmountBeforeRunReturnsAtOnce() {
        var machine = MountStateMachine<Int>()
        #expect(machine.unmountRequested() == MountStateMachine<Int>.UnmountAction.none, "nothing mounted")
        #expect(machine.start() == .returnAtOnce)
        #expect(machine.start() == .refuse)
    }

    @Test func runningTwiceIsRefused() {
        var machine = MountStateMachine<Int>()
        #expect(machine.start() == .mount)
        #expect(machine.start() == .refuse)
        machine.mountFailed()
        #expect(machine.start() == .refuse)
    }

    @Test func mountOptionsEscapeCommas() {
        let options = FUSEMountOptions(fileSystemName: "a,b\\c", subtype: "cvmfs", allowOther: true)
        #expect(options.mountOptionString == "ro,fsname=a\\,b\\\\c,subtype=cvmfs,allow_other,default_permissions")
    }
}
