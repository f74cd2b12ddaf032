import Foundation
import Testing

@testable import CRMStore

@Suite struct CSVReaderTests {
    private func read(_ text: String) -> [Result<CSVRecord, CSVSyntaxError>] {
        Array(CSVReader(bytes: Array(text.utf8)))
    }

    @Test func quotedFieldsKeepCommasQuotesAndLineBreaks() throws {
        let records = read("a,b,c\r\n\"Smith, John\",\"say \"\"hi\"\"\",\"two\nlines\"\r\nlast,,\n")
        #expect(records == [
            .success(CSVRecord(line: 1, fields: ["a", "b", "c"])),
            .success(CSVRecord(line: 2, fields: ["Smith, John", "say \"hi\"", "two\nlines"])),
            .success(CSVRecord(line: 4, fields: ["last", "", ""])),
        ])
    }

    @Test func byteOrderMarkBlankLinesAndMissingFinalNewline() {
        let records = read("\u{FEFF}x,y\n\n\r\n1,2")
        #expect(records == [
            .success(CSVRecord(line: 1, fields: ["x", "y"])),
            .success(CSVRecord(line: 4, fields: ["1", "2"])),
        ])
    }

    @Test func oldMacLineEndsCount() {
        #expect(read("a\rb\r") == [.success(CSVRecord(line: 1, fields: ["a"])), .success(CSVRecord(line: 2, fields: ["b"]))])
    }

    @Test func aQuoteInsideAnUnquotedFieldIsLiteral() {
        #expect(read("5\" nails,x\n") == [.success(CSVRecord(line: 1, fields: ["5\" nails", "x"]))])
    }

    @Test func textAfterAClosingQuoteFailsThatLineOnly() {
        let records = read("\"ab\"c,d\nok,1\n")
        #expect(records.count == 2)
        guard case .failure(let error) = records[0] else {
            Issue.record("expected a syntax error")
            return
        }
        #expect(error.line == 1)
        #expect(records[1] == .success(CSVRecord(line: 2, fields: ["ok", "1"])))
    }

    @Test func anUnclosedQuoteIsReportedAtItsLine() {
        let records = read("a\n\"never closed,\nmore\n")
        #expect(records.count == 2)
        #expect(records[1] == .failure(CSVSyntaxError(line: 2, message: "a quoted field is never closed")))
    }

    @Test func aRecordOverTheLimitFailsThatLineOnly() {
        let limit = CSVReader.maxRecordBytes
        let tooLong = CSVSyntaxError(line: 2, message: "the record is longer than \(limit) bytes (a quote never closed?)")
        let records = read("a\n" + String(repeating: "x", count: limit + 1) + "\nok,1\n")
        #expect(records == [.success(CSVRecord(line: 1, fields: ["a"])), .failure(tooLong), .success(CSVRecord(line: 3, fields: ["ok", "1"]))])
        // A stray quote stops at the limit instead of taking the rest of the file as one field.
        let rows = (0..<10_000).map { "row\($0),1" }.joined(separator: "\n")
        let stray = read("a\n\"oops,\n" + rows + "\n")
        #expect(stray[1] == .failure(tooLong))
        #expect(stray.last == .success(CSVRecord(line: 10_002, fields: ["row9999", "1"])))
        #expect(read(String(repeating: "y", count: limit)) == [.success(CSVRecord(line: 1, fields: [String(repeating: "y", count: limit)]))])
    }

    @Test func invalidUTF8IsAnError() {
        let records = Array(CSVReader(bytes: [0x61, 0x2C, 0xFF, 0x0A]))
        #expect(records == [.failure(CSVSyntaxError(line: 1, message: "the text is not valid UTF-8"))])
    }
}

@Suite struct FieldTests {
    @Test(arguments: [
        ("4006381333931", "04006381333931"),   // GTIN-13
        ("96385074", "00000096385074"),        // GTIN-8
        ("036000291452", "00036000291452"),    // GTIN-12 (UPC-A)
        ("10614141000415", "10614141000415"),  // GTIN-14
    ])
    func validGTINsArePaddedTo14(input: String, expected: String) throws {
        #expect(try Fields.gtin14(input).get() == expected)
    }

    @Test func badGTINsNameTheProblem() {
        #expect(Fields.gtin14("4006381333932") == .failure(Fields.Problem("'4006381333932' has a wrong check digit (expected 1)")))
        #expect(Fields.gtin14("40063813339") == .failure(Fields.Problem("'40063813339' is not a GTIN (8, 12, 13 or 14 digits)")))
        #expect(Fields.gtin14("400638133393A") == .failure(Fields.Problem("'400638133393A' is not a GTIN (8, 12, 13 or 14 digits)")))
    }

    @Test func pricesAreStrictDecimals() {
        #expect(Fields.price("12.50") == .success("12.5"))
        #expect(Fields.price("0") == .success("0"))
        #expect(Fields.price("12,x") == .failure(Fields.Problem("'12,x' is not a decimal amount")))
        #expect(Fields.price("12,5") == .failure(Fields.Problem("'12,5' is not a decimal amount")))
        #expect(Fields.price("1e3") == .failure(Fields.Problem("'1e3' is not a decimal amount")))
        #expect(Fields.price(".5") == .failure(Fields.Problem("'.5' is not a decimal amount")))
        #expect(Fields.price("-1.00") == .failure(Fields.Problem("'-1.00' is negative; a price is zero or more")))
    }

    @Test func decimalTextRoundTripsExactly() throws {
        for text in ["0.1", "19.99", "-3.2", "123456789012345678.25", "0.000001", "99999999999999999999.99"] {
            let value = try #require(DecimalText.parse(text))
            #expect(DecimalText.format(value) == text)
        }
        #expect(DecimalText.parse("-0") == 0)
        #expect(DecimalText.parse("") == nil)
        #expect(DecimalText.parse("1.") == nil)
        #expect(DecimalText.parse("--1") == nil)
    }

    @Test func credentialsAreClassifiedAndNormalised() {
        #expect(Fields.credential("300833b2ddd9014000000001") == .success(.init(value: "300833B2DDD9014000000001", kind: .epc)))
        #expect(Fields.credential("0004512345") == .success(.init(value: "0004512345", kind: .card)))
        #expect(Fields.credential("epc:300000000000000000000001") == .success(.init(value: "300000000000000000000001", kind: .epc)))
        #expect(Fields.credential("card:1234") == .success(.init(value: "1234", kind: .card)))
        #expect(Fields.credential("xyz").isFailure)
        #expect(Fields.credential("ABC").isFailure)   // odd-length hex
        #expect(Fields.credential("card:12ab").isFailure)
    }

    @Test func consentSpellings() {
        for yes in ["yes", "YES", "true", "1"] { #expect(Fields.consent(yes) == .success(true)) }
        for no in ["no", "False", "0"] { #expect(Fields.consent(no) == .success(false)) }
        #expect(Fields.consent("maybe") == .failure(Fields.Problem("'maybe' is not yes or no")))
    }
}

extension Result {
    var isFailure: Bool {
        if case .failure = self { return true }
        return false
    }
}
