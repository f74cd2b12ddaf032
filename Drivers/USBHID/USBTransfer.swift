import CLibUSB

/// One libusb transfer run through libusb's asynchronous API, so that every wait has a deadline.
///
/// libusb's synchronous calls wait for a completion with no bound of their own: a device that goes
/// away without giving its transfer back (a lost URB: seen under emulation after an unplug, and on
/// wedged hubs) keeps them waiting for ever. Here the caller handles events in slices of its own
/// choosing, and decides itself when to cancel and when to give up.
///
/// Memory libusb may still write to is never freed while its handle is open: a transfer given up on
/// while still in flight closes its handle first (`libusb_close` drops the handle's in-flight
/// transfers, and usbfs kills their URBs), and only then is released. Used from one thread only.
final class USBTransfer {
    /// Where the transfer is in its life.
    enum State: Equatable {
        /// Not submitted, or completed and seen.
        case idle
        /// Submitted; libusb will call back.
        case inFlight
        /// Submitted and cancelled; libusb will still call back, or the device is gone.
        case cancelling
    }

    /// The open device the transfer runs on; kept alive, and closed first if the transfer is given up.
    let handle: USBDeviceHandle
    /// Bytes the buffer holds (after the setup packet, for control transfers).
    let capacity: Int
    private(set) var state = State.idle

    private let raw: UnsafeMutablePointer<libusb_transfer>
    private let buffer: UnsafeMutablePointer<UInt8>
    /// Set to 1 by the completion callback; libusb's event handling returns as soon as it is.
    private let completed: UnsafeMutablePointer<Int32>

    /// The size of a control transfer's setup packet, which leads its buffer.
    static let setupSize = 8

    /// Allocates a transfer with room for `capacity` bytes of data.
    init(handle: USBDeviceHandle, capacity: Int) throws(USBHIDError) {
        guard let raw = libusb_alloc_transfer(0) else { throw USBHIDError(.libusb, "libusb could not allocate a transfer") }
        self.handle = handle
        self.capacity = capacity
        self.raw = raw
        buffer = .allocate(capacity: Self.setupSize + capacity)
        buffer.initialize(repeating: 0, count: Self.setupSize + capacity)
        completed = .allocate(capacity: 1)
        completed.initialize(to: 0)
    }

    deinit {
        if state != .idle {
            // Given up on: libusb forgets the transfer when its handle closes; only then is the memory ours again.
            handle.close()
        }
        libusb_free_transfer(raw)
        buffer.deallocate()
        completed.deallocate()
    }

    /// Submits an interrupt IN transfer on `endpoint` for up to `capacity` bytes, with no libusb timeout:
    /// the caller keeps the time, and cancels.
    /// - Returns: 0, or the libusb error of the submission.
    func submitInterrupt(endpoint: UInt8) -> Int32 {
        prepare(type: UInt8(LIBUSB_TRANSFER_TYPE_INTERRUPT.rawValue), endpoint: endpoint, data: buffer, length: capacity)
        return submit()
    }

    /// Submits a control IN request for up to `length` bytes (at most `capacity`).
    /// - Returns: 0, or the libusb error of the submission.
    func submitControlIn(requestType: UInt8, request: UInt8, value: UInt16, index: UInt16, length: Int) -> Int32 {
        let length = min(length, capacity)
        let setup: [UInt8] = [requestType, request, UInt8(value & 0xFF), UInt8(value >> 8), UInt8(index & 0xFF), UInt8(index >> 8),
                              UInt8(length & 0xFF), UInt8(length >> 8)]
        for (offset, byte) in setup.enumerated() { buffer[offset] = byte }
        prepare(type: UInt8(LIBUSB_TRANSFER_TYPE_CONTROL.rawValue), endpoint: 0, data: buffer, length: Self.setupSize + length)
        return submit()
    }

    private func prepare(type: UInt8, endpoint: UInt8, data: UnsafeMutablePointer<UInt8>, length: Int) {
        raw.pointee.dev_handle = handle.raw
        raw.pointee.flags = 0
        raw.pointee.endpoint = endpoint
        raw.pointee.type = type
        raw.pointee.timeout = 0
        raw.pointee.buffer = data
        raw.pointee.length = Int32(length)
        raw.pointee.actual_length = 0
        raw.pointee.num_iso_packets = 0
        raw.pointee.user_data = UnsafeMutableRawPointer(completed)
        raw.pointee.callback = { transfer in
            transfer?.pointee.user_data?.assumingMemoryBound(to: Int32.self).pointee = 1
        }
    }

    private func submit() -> Int32 {
        precondition(state == .idle, "a transfer is submitted again only once it has completed")
        completed.pointee = 0
        let status = libusb_submit_transfer(raw)
        if status == 0 { state = .inFlight }
        return status
    }

    /// Asks libusb to cancel; the completion (status cancelled, or whatever came first) still has to be awaited.
    /// - Returns: 0, or libusb's error: `LIBUSB_ERROR_NO_DEVICE` means the device is already gone.
    @discardableResult
    func cancel() -> Int32 {
        guard state == .inFlight else { return 0 }
        state = .cancelling
        return libusb_cancel_transfer(raw)
    }

    /// Handles libusb events for up to `timeout`, returning early once the transfer completes.
    /// - Returns: whether it has completed (its status and data are then readable, and it may be submitted again).
    func awaitCompletion(in context: USBContext, timeout: Duration) -> Bool {
        guard state != .idle else { return true }
        if completed.pointee == 0 { context.handleEvents(timeout: timeout, completed: completed) }
        guard completed.pointee != 0 else { return false }
        state = .idle
        return true
    }

    /// How long a cancelled transfer may take to come back before it is given up on. A present device gives
    /// a cancelled URB back at once (the host controller unlinks it), so this only runs out on one that is gone or wedged.
    static let cancelGrace: Duration = .seconds(1)

    /// Waits for the submitted transfer up to `timeout`, then cancels it and waits up to `grace` for it to come back.
    /// - Returns: whether it completed (cancelled counts: see `status`); `false` leaves it given up on.
    func finish(in context: USBContext, within timeout: Duration, grace: Duration = USBTransfer.cancelGrace) -> Bool {
        let clock = ContinuousClock()
        let deadline = clock.now.advanced(by: timeout)
        while clock.now < deadline {
            if awaitCompletion(in: context, timeout: deadline - clock.now) { return true }
        }
        if cancel() == LIBUSB_ERROR_NO_DEVICE.rawValue { return awaitCompletion(in: context, timeout: .zero) }
        let end = clock.now.advanced(by: grace)
        while clock.now < end {
            if awaitCompletion(in: context, timeout: end - clock.now) { return true }
        }
        return awaitCompletion(in: context, timeout: .zero)
    }

    /// How the last completed transfer ended.
    var status: libusb_transfer_status { raw.pointee.status }

    /// The bytes the last completed transfer received (after the setup packet, for control transfers).
    var received: ArraySlice<UInt8> {
        let isControl = raw.pointee.type == UInt8(LIBUSB_TRANSFER_TYPE_CONTROL.rawValue)
        let start = isControl ? Self.setupSize : 0
        let count = max(0, min(Int(raw.pointee.actual_length), capacity))
        return Array(UnsafeBufferPointer(start: buffer + start, count: count))[...]
    }
}
