/// A TLV parameter with a typed model: decoded from its value bytes, encoded back to them.
protocol ParameterCodable {
    static var parameterType: LLRPParameterType { get }
    /// Decodes the value (the bytes after the 4-byte TLV header).
    init(body: inout ByteCursor) throws(LLRPError)
    /// Writes the value (the bytes after the 4-byte TLV header).
    func encodeBody(into writer: inout ByteWriter)
}

extension ParameterCodable {
    /// Writes the whole parameter, header included.
    func encode(into writer: inout ByteWriter) {
        writer.tlv(Self.parameterType) { encodeBody(into: &$0) }
    }

    /// Decodes a parameter found by ``ByteCursor/nextParameter()``.
    static func decode(_ view: RawParameterView) throws(LLRPError) -> Self {
        var body = view.body
        return try Self(body: &body)
    }
}

extension Optional where Wrapped: ParameterCodable {
    func encode(into writer: inout ByteWriter) { self?.encode(into: &writer) }
}

extension Array where Element: ParameterCodable {
    func encode(into writer: inout ByteWriter) { for element in self { element.encode(into: &writer) } }
}

/// Bit helpers for the flag bytes LLRP packs at the front of many parameters.
extension UInt8 {
    @inline(__always) func bit(_ index: Int) -> Bool { self & (0x80 >> UInt8(index)) != 0 }
    @inline(__always) static func bits(_ flags: Bool...) -> UInt8 {
        var value: UInt8 = 0
        for (index, flag) in flags.enumerated() where flag { value |= 0x80 >> UInt8(index) }
        return value
    }
}

func missing(_ parameter: LLRPParameterType, in context: String) -> LLRPError {
    LLRPError(.missingParameter, "\(context): the required \(parameter) is absent")
}
