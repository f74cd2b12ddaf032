import Foundation
import GRDB
import Testing

@testable import CRMStore

@Suite struct StaffUsersTests {
    @Test func theStaffUsersMigrationRunsOnOpen() throws {
        let scratch = try Scratch()
        let applied = try scratch.database.pool.read { db in try String.fetchAll(db, sql: "SELECT identifier FROM grdb_migrations") }
        #expect(applied.contains("v2-staff-users"))
        #expect(try scratch.database.staffUserCount() == 0)
    }

    @Test func saveCreatesThenReplacesTheHash() throws {
        let scratch = try Scratch()
        #expect(try scratch.database.saveStaffUser(name: "anna", passwordHash: "$2b$10$first") == true)
        #expect(try scratch.database.saveStaffUser(name: "anna", passwordHash: "$2b$10$second") == false)
        let anna = try #require(try scratch.database.staffUser(named: "anna"))
        #expect(anna.passwordHash == "$2b$10$second")
        #expect(try scratch.database.staffUsers().map(\.name) == ["anna"])
        #expect(try scratch.database.staffUser(named: "bob") == nil)
    }

    @Test func theFirstUserIsCreatedOnlyIntoAnEmptyTable() throws {
        let scratch = try Scratch()
        #expect(try scratch.database.createFirstStaffUser(name: "manager", passwordHash: "$2b$10$a") == true)
        #expect(try scratch.database.createFirstStaffUser(name: "manager", passwordHash: "$2b$10$b") == false)
        #expect(try scratch.database.staffUser(named: "manager")?.passwordHash == "$2b$10$a")
        #expect(try scratch.database.deleteStaffUser(named: "manager") == true)
        #expect(try scratch.database.deleteStaffUser(named: "manager") == false)
    }
}
