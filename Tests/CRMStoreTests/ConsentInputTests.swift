import Foundation
import GRDB
import GatewayCore
import Testing

@testable import CRMStore

/// The `customer.consent` input: messages parsed with errors that name their position and key,
/// and recorded like any other consent change.
@Suite struct ConsentInputTests {
    private func store() throws -> Scratch {
        let scratch = try Scratch()
        let customers = try scratch.file("customers.csv", """
            customer_id,first_name,last_name,email,tier,credentials,recognition_consent
            C-1,Ada,Lovelace,ada@example.com,vip,300833B2DDD9014000000001,no
            C-2,Grace,Hopper,,regular,300833B2DDD9014000000002,yes
            """)
        _ = try scratch.importer.importCustomers(file: customers, tokenizer: scratch.tokenizer)
        return scratch
    }

    @Test func oneMessageIsRecordedWithTheSendersTimeAndVersion() throws {
        let scratch = try store()
        let body = #"{"type":"customer.consent","customer":"C-1","recognition":true,"marketing":false,"version":"2026-12","ts":"2026-12-06T10:15:00.000Z"}"#
        let outcome = try ConsentInput.apply(Array(body.utf8), to: scratch.database)
        #expect(outcome.accepted == 1 && outcome.rejected == 0 && outcome.errors.isEmpty)
        let state = try #require(try scratch.database.consent(customerID: "C-1"))
        #expect(state[.recognition] == ConsentState(granted: true, at: "2026-12-06T10:15:00.000Z", version: "2026-12"))
        #expect(state[.marketing] == ConsentState(granted: false, at: nil, version: "2026-12"))
        let history = try scratch.database.pool.read { db in
            try Row.fetchAll(db, sql: "SELECT purpose, granted, source, changed_at FROM consent_history WHERE customer_id = 'C-1' AND source = 'http' ORDER BY purpose")
        }
        #expect(history.map { [$0[0] as String, "\($0[1] as Int)", $0[2] as String, $0[3] as String] } == [
            ["marketing", "0", "http", "2026-12-06T10:15:00.000Z"],
            ["recognition", "1", "http", "2026-12-06T10:15:00.000Z"],
        ])
    }

    @Test func aBadMessageInAnArrayIsNamedAndTheOthersAreRecorded() throws {
        let scratch = try store()
        let body = """
            [{"customer":"C-2","recognition":false},
             {"customer":"C-1","recognition":"yes"},
             {"customer":"C-9","profiling":false},
             {"customer":"C-1","recogniton":true},
             {"customer":"C-1"},
             {"customer":"C-1","marketing":true,"ts":"yesterday"},
             {"type":"pos.transaction","customer":"C-1","marketing":true},
             {"customer":"C-1","profiling":1},
             "C-1"]
            """
        let outcome = try ConsentInput.apply(Array(body.utf8), to: scratch.database)
        #expect(outcome.accepted == 1)
        #expect(outcome.rejected == 8)
        #expect(outcome.errors.contains("[1].recognition: must be true or false"))
        #expect(outcome.errors.contains("[2].customer: no customer 'C-9' in the store"))
        #expect(outcome.errors.contains { $0.hasPrefix("[3].recogniton: is not a customer.consent key") })
        #expect(outcome.errors.contains("[4]: names no purpose (recognition, profiling or marketing)"))
        #expect(outcome.errors.contains { $0.hasPrefix("[5].ts: must be an RFC 3339 time") })
        #expect(outcome.errors.contains("[6].type: must be \"customer.consent\""))
        #expect(outcome.errors.contains("[7].profiling: must be true or false"))
        #expect(outcome.errors.contains("[8]: is not an object"))
        #expect(try scratch.database.consent(customerID: "C-2")?[.recognition]?.granted == false)
        // Nothing of the refused messages reached C-1.
        #expect(try scratch.database.consent(customerID: "C-1")?[.marketing]?.granted == false)
        #expect(try scratch.database.pool.read { db in try Int.fetchOne(db, sql: "SELECT count(*) FROM consent_history WHERE source = 'http'") } == 1)
    }

    @Test func aBodyThatIsNotJSONIsRefusedAsAWhole() throws {
        let scratch = try store()
        for body in ["{\"customer\":", "42", ""] {
            #expect(throws: CRMStoreError.self) { try ConsentInput.apply(Array(body.utf8), to: scratch.database) }
        }
        do {
            _ = try ConsentInput.apply(Array("<xml/>".utf8), to: scratch.database)
            Issue.record("XML was accepted")
        } catch {
            #expect(error.code == .invalidInput)
            #expect(error.message.hasPrefix("the body is not JSON"))
        }
    }
}
