/// A CSV syntax problem on one line, found while reading records.
struct CSVSyntaxError: Error, Equatable {
    /// The line the record starts on (1-based).
    var line: Int
    /// What is wrong.
    var message: String
}

/// One record of a CSV file.
struct CSVRecord: Equatable {
    /// The line the record starts on (1-based); a quoted field may carry it over several lines.
    var line: Int
    /// The fields, unquoted.
    var fields: [String]
}

/// Reads RFC 4180 CSV from bytes: quoted fields with commas, line breaks and doubled quotes; LF, CRLF
/// or CR line ends; a UTF-8 byte-order mark; blank lines skipped.
///
/// A malformed record is returned as a failure and reading goes on at the next line, so one bad line
/// in a 100k-row export costs that line only. A quote inside an unquoted field is taken literally
/// (`5" nails`), as spreadsheets write it. A record longer than ``maxRecordBytes`` is refused the same
/// way, so a stray quote cannot swallow the rest of the file into one field.
struct CSVReader: IteratorProtocol, Sequence {
    /// The longest record read: far beyond any customer or product row.
    static let maxRecordBytes = 64 << 10

    private let bytes: [UInt8]
    private var index: Int
    private var line = 1
    private var recordStart = 0
    private var buffer: [UInt8] = []

    private static let quote = UInt8(ascii: "\"")
    private static let comma = UInt8(ascii: ",")
    private static let cr = UInt8(ascii: "\r")
    private static let lf = UInt8(ascii: "\n")

    /// Reads records from the whole content of a file.
    init(bytes: [UInt8]) {
        self.bytes = bytes
        index = bytes.starts(with: [0xEF, 0xBB, 0xBF]) ? 3 : 0
    }

    /// The next record, a syntax error for the next malformed one, or `nil` at the end.
    mutating func next() -> Result<CSVRecord, CSVSyntaxError>? {
        skipBlankLines()
        guard index < bytes.count else { return nil }
        let start = line
        recordStart = index
        var fields: [String] = []
        while true {
            let field: String
            switch readField() {
            case .success(let value): field = value
            case .failure(let error):
                skipRestOfLine()
                return .failure(error)
            }
            fields.append(field)
            guard index < bytes.count else { return .success(CSVRecord(line: start, fields: fields)) }
            let byte = bytes[index]
            if byte == Self.comma {
                index += 1
                continue
            }
            consumeLineEnd()
            return .success(CSVRecord(line: start, fields: fields))
        }
    }

    private mutating func readField() -> Result<String, CSVSyntaxError> {
        buffer.removeAll(keepingCapacity: true)
        if index < bytes.count, bytes[index] == Self.quote {
            let opened = line
            index += 1
            while true {
                guard index < bytes.count else {
                    return .failure(CSVSyntaxError(line: opened, message: "a quoted field is never closed"))
                }
                guard index - recordStart < Self.maxRecordBytes else { return .failure(tooLong(line: opened)) }
                let byte = bytes[index]
                if byte == Self.quote {
                    if index + 1 < bytes.count, bytes[index + 1] == Self.quote {
                        buffer.append(Self.quote)
                        index += 2
                        continue
                    }
                    index += 1
                    break
                }
                if byte == Self.lf || (byte == Self.cr && (index + 1 >= bytes.count || bytes[index + 1] != Self.lf)) {
                    line += 1
                }
                buffer.append(byte)
                index += 1
            }
            if index < bytes.count, !isDelimiter(bytes[index]) {
                return .failure(CSVSyntaxError(line: line, message: "unexpected text after a closing quote (a quote inside a quoted field is written twice: \"\")"))
            }
        } else {
            let begin = index
            while index < bytes.count, !isDelimiter(bytes[index]) { index += 1 }
            guard index - recordStart <= Self.maxRecordBytes else { return .failure(tooLong(line: line)) }
            buffer.append(contentsOf: bytes[begin..<index])
        }
        guard let text = String(validating: buffer, as: UTF8.self) else {
            return .failure(CSVSyntaxError(line: line, message: "the text is not valid UTF-8"))
        }
        return .success(text)
    }

    private func tooLong(line: Int) -> CSVSyntaxError {
        CSVSyntaxError(line: line, message: "the record is longer than \(Self.maxRecordBytes) bytes (a quote never closed?)")
    }

    private func isDelimiter(_ byte: UInt8) -> Bool {
        byte == Self.comma || byte == Self.lf || byte == Self.cr
    }

    private mutating func consumeLineEnd() {
        guard index < bytes.count else { return }
        if bytes[index] == Self.cr {
            index += 1
            if index < bytes.count, bytes[index] == Self.lf { index += 1 }
            line += 1
        } else if bytes[index] == Self.lf {
            index += 1
            line += 1
        }
    }

    private mutating func skipBlankLines() {
        while index < bytes.count, bytes[index] == Self.lf || bytes[index] == Self.cr {
            consumeLineEnd()
        }
    }

    private mutating func skipRestOfLine() {
        while index < bytes.count, bytes[index] != Self.lf, bytes[index] != Self.cr { index += 1 }
        consumeLineEnd()
    }
}
