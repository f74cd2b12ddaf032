/// The emulated badge readers: a Python program on umockdev's GObject API.
///
/// Kept as a Swift string so the test target has no unhandled resource files; the harness writes
/// it into the run's work directory. It builds a umockdev testbed, answers the usbdevfs ioctls
/// libusb sends (submit, reap, discard, claim, release, get-driver, detach, attach), plays the
/// scenario's steps, and runs the child test process under the testbed.
///
/// Besides a faithful unplug (every pending URB given back with -ESHUTDOWN, as the kernel does), it
/// can model the faults that hang libusb's synchronous calls: an unplug that loses the pending URBs,
/// and a wedged endpoint whose URBs are never given back, not even when discarded.
enum EmulatorScript {
    static let source = #"""
# Emulated USB HID badge readers for the USBHID driver tests.
# Run with the system python3 (it has gi) under LD_PRELOAD=libumockdev-preload.so.0: the testbed's
# uevents (plug, unplug) are built from its sysfs, which this process only sees through the preload.
import contextlib, errno, gc, glob, json, os, shutil, signal, struct, subprocess, sys, threading, time

import gi
gi.require_version('UMockdev', '1.0')
from gi.repository import GLib, UMockdev

SUBMITURB = 0x8038550A
DISCARDURB = 0x550B
REAPURB = 0x4008550C
REAPURBNDELAY = 0x4008550D
CLAIMINTERFACE = 0x8004550F
RELEASEINTERFACE = 0x80045510
GETDRIVER = 0x41045508
USBDEVFS_IOCTL = 0xC0105512
GET_CAPABILITIES = 0x8004551A
SUBCOMMAND_DISCONNECT = 0x5516
SUBCOMMAND_CONNECT = 0x5517
URB_TYPE_CONTROL = 2
URB_STATUS = 4
URB_BUFFER = 16
URB_ACTUAL_LENGTH = 28
URB_SIZE = 56

scenario = json.load(open(sys.argv[1]))
device_log = open(scenario['deviceLog'], 'a', buffering=1)


logged = set()


def log(device, op, **extra):
    entry = {'device': device, 'op': op, 't': '%.3f' % time.monotonic()}
    entry.update({key: str(value) for key, value in extra.items()})
    device_log.write(json.dumps(entry) + '\n')
    logged.add((device, op))


class BadgeReader(UMockdev.IoctlBase):
    """One boot-keyboard reader: interrupt IN reports from a queue, usbhid bound until detached."""

    def __init__(self, spec):
        super().__init__()
        self.name = spec['id']
        self.serial = spec.get('serial')
        self.bound = spec.get('kernelDriver', False)
        self.claimed = False
        self.gone = False
        self.reports = []
        # usbfs keeps URBs per open file: one client never reaps another's.
        self.clients = {}
        # umockdev answers ioctls on its own thread while steps run on the main loop; the kernel's
        # disconnect is atomic with respect to submissions, so unplugging and answering take turns.
        self.lock = threading.RLock()

    def queue(self, reports):
        with self.lock:
            self.reports.extend(bytes.fromhex(report) for report in reports)

    def pending(self):
        with self.lock:
            return list(self.reports)

    def urbs(self, client):
        return self.clients.setdefault(client, {'inflight': [], 'completed': [], 'wedged': False})

    def unplug(self, lose=False):
        with self.lock:
            self.gone = True
            given_back = 0
            for urbs in self.clients.values():
                if not lose:
                    # On disconnect the host controller gives back every pending URB with -ESHUTDOWN.
                    for urb, _, _ in urbs['inflight']:
                        urb.update(URB_STATUS, struct.pack('<i', -errno.ESHUTDOWN))
                        urbs['completed'].append(urb)
                        given_back += 1
                urbs['inflight'] = []
            return given_back

    def wedge(self):
        """The URBs of every open file stop moving: none is completed or given back, even when discarded."""
        with self.lock:
            for urbs in self.clients.values():
                urbs['wedged'] = True

    def do_handle_ioctl(self, client):
        with self.lock:
            return self.handle(client)

    def handle(self, client):
        self.urbs(client)  # known from its first ioctl on, so a wedge reaches a file that has not submitted yet
        request = client.get_request()
        arg = client.get_arg()
        if self.gone:
            if request in (REAPURB, REAPURBNDELAY) and self.urbs(client)['completed']:
                return self.reap(client, arg)
            client.complete(-1, errno.ENODEV)
            return True
        if request == GET_CAPABILITIES:
            arg.resolve(0, 4).update(0, struct.pack('<I', 0x0F))
            client.complete(0, 0)
        elif request == GETDRIVER:
            log(self.name, 'getdriver', bound=self.bound)
            if self.claimed or self.bound:
                name = b'usbfs' if self.claimed else b'usbhid'
                arg.resolve(0, 260).update(4, name + b'\0')
                client.complete(0, 0)
            else:
                client.complete(-1, errno.ENODATA)
        elif request == USBDEVFS_IOCTL:
            _, command, _ = struct.unpack('<iiQ', bytes(arg.resolve(0, 16).retrieve()))
            if command == SUBCOMMAND_DISCONNECT and self.bound:
                self.bound = False
                log(self.name, 'detach')
                client.complete(0, 0)
            elif command == SUBCOMMAND_CONNECT and not self.bound:
                self.bound = True
                log(self.name, 'attach')
                client.complete(0, 0)
            else:
                client.complete(-1, errno.ENODATA)
        elif request == CLAIMINTERFACE:
            # The kernel refuses a claim while usbhid (or another usbfs user) holds the interface.
            if self.bound or self.claimed:
                log(self.name, 'claim-refused')
                client.complete(-1, errno.EBUSY)
            else:
                self.claimed = True
                log(self.name, 'claim')
                client.complete(0, 0)
        elif request == RELEASEINTERFACE:
            self.claimed = False
            log(self.name, 'release')
            client.complete(0, 0)
        elif request == SUBMITURB:
            urb = arg.resolve(0, URB_SIZE)
            kind, endpoint, _, _, _, length = struct.unpack_from('<BBxxiIxxxxQi', bytes(urb.retrieve()), 0)
            buffer = urb.resolve(URB_BUFFER, length)
            if kind == URB_TYPE_CONTROL and not self.urbs(client)['wedged']:
                self.urbs(client)['completed'].append(self.control(urb, buffer, length))
            else:
                self.urbs(client)['inflight'].append((urb, buffer, length))
            client.complete(0, 0)
        elif request == DISCARDURB:
            address = struct.unpack('<Q', bytes(arg.retrieve())[:8])[0]
            urbs = self.urbs(client)
            for index, (urb, _, _) in enumerate(urbs['inflight']):
                if urb.client_addr == address and urbs['wedged']:
                    log(self.name, 'discard-ignored')
                    client.complete(0, 0)
                    return True
                if urb.client_addr == address:
                    del urbs['inflight'][index]
                    urb.update(URB_STATUS, struct.pack('<i', -errno.ENOENT))
                    urbs['completed'].append(urb)
                    log(self.name, 'timeout')
                    client.complete(0, 0)
                    return True
            client.complete(-1, errno.EINVAL)
        elif request in (REAPURB, REAPURBNDELAY):
            return self.reap(client, arg)
        else:
            client.complete(-1, errno.ENOTTY)
        return True

    def control(self, urb, buffer, length):
        """GET_DESCRIPTOR(string): language list and the serial number; anything else stalls."""
        setup = bytes(buffer.retrieve())[:8]
        request_type, request, value, index, wanted = struct.unpack('<BBHHH', setup)
        answer = None
        if request_type == 0x80 and request == 6 and value >> 8 == 3:
            if value & 0xFF == 0:
                answer = bytes([4, 3, 0x09, 0x04])
            elif value & 0xFF == 3 and self.serial:
                text = self.serial.encode('utf-16-le')
                answer = bytes([2 + len(text), 3]) + text
        if answer is None:
            urb.update(URB_STATUS, struct.pack('<i', -errno.EPIPE))
            urb.update(URB_ACTUAL_LENGTH, struct.pack('<i', 0))
        else:
            answer = answer[:wanted]
            buffer.update(8, answer)
            urb.update(URB_STATUS, struct.pack('<i', 0))
            urb.update(URB_ACTUAL_LENGTH, struct.pack('<i', len(answer)))
        return urb

    def reap(self, client, arg):
        slot = arg.resolve(0, 8)
        urbs = self.urbs(client)
        if not urbs['completed'] and not self.gone and not urbs['wedged'] and urbs['inflight'] and self.reports:
            urb, buffer, length = urbs['inflight'].pop(0)
            report = self.reports.pop(0)[:length]
            buffer.update(0, report)
            urb.update(URB_STATUS, struct.pack('<i', 0))
            urb.update(URB_ACTUAL_LENGTH, struct.pack('<i', len(report)))
            urbs['completed'].append(urb)
            log(self.name, 'report', hex=report.hex())
        if urbs['completed']:
            slot.set_ptr(0, urbs['completed'].pop(0))
            client.complete(0, 0)
        else:
            client.complete(-1, errno.ENODEV if self.gone else errno.EAGAIN)
        return True


child = None


@contextlib.contextmanager
def child_paused():
    """Holds the child stopped while the testbed sends uevents.

    umockdev sends one by listing the listeners' socket files, then connecting to each, and aborts when
    one vanishes in between. A listener that re-binds (unlink, then bind) does just that, and a reader
    that starts a fresh libusb context on the first uevent of a plug re-binds as the second is sent.
    The kernel's broadcast has no such window; a child with every thread stopped cannot open one.
    Only the uevent calls run paused: an ioctl answer may need the child (umockdev reads its memory),
    and one may be under way, holding a reader's lock.
    """
    if child is None:  # the devices present at start go in before the child runs
        yield
        return
    os.kill(child.pid, signal.SIGSTOP)
    try:
        give_up = time.monotonic() + 5
        while time.monotonic() < give_up and not all_stopped(child.pid):
            time.sleep(0.001)
        yield
    finally:
        os.kill(child.pid, signal.SIGCONT)


def all_stopped(pid):
    """Whether every thread of `pid` is stopped (or gone), so none is inside a system call."""
    for stat in glob.glob('/proc/%d/task/*/stat' % pid):
        try:
            text = open(stat).read()
        except OSError:
            continue  # the thread ended
        if text[text.rindex(')') + 2] not in 'tTZX':
            return False
    return True


testbed = UMockdev.Testbed.new()
root = testbed.get_root_dir()
if scenario.get('hub'):
    testbed.add_from_string(scenario['hub'])
specs = {spec['id']: spec for spec in scenario['devices']}
readers = {}
retired = []
attached = set()


def plug(name):
    spec = specs[name]
    if spec['devnode'] in attached:
        testbed.detach_ioctl(spec['devnode'])
    reader = BadgeReader(spec)
    if name in readers:
        retired.append(readers[name])  # clients of the unplugged device may still call in
    # The handler goes in before the device shows up in sysfs, or a quick client opens a dead node.
    testbed.attach_ioctl(spec['devnode'], reader)
    attached.add(spec['devnode'])
    readers[name] = reader
    log(name, 'plugged')
    with child_paused():
        assert testbed.add_from_string(spec['description'])


def unplug(name, lose=False):
    spec = specs[name]
    given_back = readers[name].unplug(lose)
    with child_paused():
        testbed.remove_device(spec['interfaceSyspath'])
        testbed.remove_device(spec['syspath'])
    log(name, 'unplugged', givenBack=given_back, lost=lose)


for spec in scenario['devices']:
    if spec.get('present', True):
        plug(spec['id'])


def child_events():
    try:
        with open(scenario['childEvents']) as events:
            return [json.loads(line) for line in events if line.endswith('\n')]
    except FileNotFoundError:
        return []


def seen(want):
    wanted = {key: value for key, value in want.items() if key not in ('count', 'contains')}
    hits = [event for event in child_events()
            if all(event.get(key) == value for key, value in wanted.items())
            and want.get('contains', '') in event.get('message', '')]
    return len(hits) >= int(want.get('count', 1))


steps = scenario['steps']
state = {'index': 0, 'started': time.monotonic(), 'performed': False}


def advance():
    while state['index'] < len(steps):
        step = steps[state['index']]
        if not state['performed']:
            state['performed'] = True
            if 'plug' in step:
                plug(step['plug'])
            if 'unplug' in step:
                unplug(step['unplug'], step.get('lose', False))
            if 'wedge' in step:
                readers[step['wedge']].wedge()
                log(step['wedge'], 'wedged')
            if 'stopChild' in step:
                open(scenario['childStopFile'], 'w').close()
            if 'reports' in step:
                readers[step['device']].queue(step['reports'])
        if 'reports' in step and readers[step['device']].pending():
            return
        if 'await' in step and not seen(step['await']):
            return
        if 'awaitDevice' in step and (step['awaitDevice'], step['op']) not in logged:
            return
        if 'idle' in step and time.monotonic() - state['started'] < float(step['idle']):
            return
        state['index'] += 1
        state['started'] = time.monotonic()
        state['performed'] = False
        log('-', 'step', index=state['index'])


environment = dict(os.environ, UMOCKDEV_DIR=root)
environment.update(scenario.get('childEnvironment', {}))
output = open(scenario['childOutput'], 'w')
child = subprocess.Popen(scenario['child'], env=environment, stdout=output, stderr=subprocess.STDOUT)
log('-', 'child', pid=child.pid)
deadline = time.monotonic() + float(scenario['timeout'])
loop = GLib.MainLoop()
result = {}


def only_releases_left():
    """The child may stop on the Enter that completes its last card, before reading the release after it."""
    if state['index'] >= len(steps) or 'reports' not in steps[state['index']]:
        return False
    step = steps[state['index']]
    return all(report == bytes(len(report)) for report in readers[step['device']].pending())


def tick():
    advance()
    code = child.poll()
    if code is not None:
        if only_releases_left():
            state['index'] += 1
        result['code'] = code
        loop.quit()
        return False
    if time.monotonic() > deadline:
        log('-', 'timeout', step=state['index'])
        child.kill()
    return True


GLib.timeout_add(10, tick)
loop.run()
log('-', 'exit', code=result['code'], step=state['index'], steps=len(steps))
readers.clear()
retired.clear()
testbed = None
gc.collect()
shutil.rmtree(root, ignore_errors=True)
sys.exit(0)
"""#
}
