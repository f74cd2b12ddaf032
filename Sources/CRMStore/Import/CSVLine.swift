/// What became of one line.
enum LineOutcome {
    /// A new row.
    case inserted
    /// An existing row replaced.
    case updated
    /// Skipped; the line's `problems` say why.
    case rejected
    /// Already in the store; nothing written.
    case unchanged
}

/// Where each known column sits in a file's header.
struct CSVLayout {
    let fieldCount: Int
    let positions: [String: Int]

    /// Checks the header: every required column present, no unknown or repeated column.
    init(file: String, header: Result<CSVRecord, CSVSyntaxError>?, columns: [String], required: Set<String>) throws(CRMStoreError) {
        let expected = columns.joined(separator: ",")
        guard let header else {
            throw CRMStoreError(.csv, "\(file): the file is empty; its first line must name the columns: \(expected)")
        }
        let names: [String]
        switch header {
        case .failure(let error): throw CRMStoreError(.csv, "\(file):\(error.line): \(error.message)")
        case .success(let record): names = record.fields.map { Fields.trimmed($0).lowercased() }
        }
        var positions: [String: Int] = [:]
        var unknown: [String] = []
        for (index, name) in names.enumerated() {
            if !columns.contains(name) {
                unknown.append(name)
            } else if positions.updateValue(index, forKey: name) != nil {
                throw CRMStoreError(.csv, "\(file):1: column '\(name)' appears twice in the header")
            }
        }
        let missing = columns.filter { required.contains($0) && positions[$0] == nil }
        if !missing.isEmpty || !unknown.isEmpty {
            var problems: [String] = []
            if !unknown.isEmpty { problems.append("unknown column\(unknown.count == 1 ? "" : "s") \(Self.quoted(unknown))") }
            if !missing.isEmpty { problems.append("missing column\(missing.count == 1 ? "" : "s") \(Self.quoted(missing))") }
            throw CRMStoreError(.csv, "\(file):1: \(problems.joined(separator: "; ")) (the columns are: \(expected))")
        }
        fieldCount = names.count
        self.positions = positions
    }

    private static func quoted(_ names: [String]) -> String {
        names.map { "'\($0)'" }.joined(separator: ", ")
    }
}

/// One record being validated; it collects every problem so a line is reported whole.
struct CSVLine {
    let file: String
    let record: CSVRecord
    let layout: CSVLayout
    private(set) var problems: [String] = []

    init(file: String, record: CSVRecord, layout: CSVLayout) {
        self.file = file
        self.record = record
        self.layout = layout
    }

    /// The trimmed value of `column`; `nil` when empty or when the file has no such column.
    func raw(_ column: String) -> String? {
        guard let position = layout.positions[column] else { return nil }
        let value = Fields.trimmed(record.fields[position])
        return value.isEmpty ? nil : value
    }

    /// A value that must be present and valid; `nil` after recording a problem otherwise.
    mutating func required<T>(_ column: String, _ parse: (String) -> Result<T, Fields.Problem>) -> T? {
        guard let text = raw(column) else {
            fail(column, "a value is required")
            return nil
        }
        return check(column, parse(text))
    }

    /// A value that may be empty; `nil` when empty, or after recording a problem when invalid (the
    /// problem rejects the line, so the two `nil`s never get confused).
    mutating func optional<T>(_ column: String, _ parse: (String) -> Result<T, Fields.Problem>) -> T? {
        guard let text = raw(column) else { return nil }
        return check(column, parse(text))
    }

    mutating func check<T>(_ column: String, _ result: Result<T, Fields.Problem>) -> T? {
        switch result {
        case .success(let value): return value
        case .failure(let problem):
            fail(column, problem.text)
            return nil
        }
    }

    /// Records a problem with `column`.
    mutating func fail(_ column: String, _ text: String) {
        problems.append("\(file):\(record.line): column '\(column)': \(text)")
    }
}
