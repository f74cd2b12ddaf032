import Foundation
import GRDB
import Testing

@testable import CRMStore

@Suite struct CustomerImportTests {
    @Test func badLinesAreRejectedWithFileLineAndColumn() throws {
        let scratch = try Scratch()
        let file = try scratch.file("customers.csv", """
            customer_id,first_name,last_name,email,tier,credentials,recognition_consent
            C-1,Ada,Lovelace,ada@example.com,VIP,300833B2DDD9014000000001;0004512345,yes
            C-2,Bob,Stone,bob@example.com,,300833b2ddd9014000000002,maybe
            ,Nobody,Here,,regular,,no
            C-4,Cleo,Park,cleo@example.com,regular,0004512345,yes
            "C-5","Park, Dee",,,regular,card:777;epc:300000000000000000000005,no

            """)
        let summary = try scratch.importer.importCustomers(file: file, tokenizer: scratch.tokenizer)
        #expect(summary.imported == 2)
        #expect(summary.updated == 0)
        #expect(summary.rejected == 3)
        #expect(summary.errors == [
            "\(file):3: column 'recognition_consent': 'maybe' is not yes or no",
            "\(file):4: column 'customer_id': a value is required",
            "\(file):5: column 'credentials': '0004512345' already belongs to customer 'C-1'",
        ])
        #expect(try scratch.database.customerCount() == 2)
    }

    @Test func masterDataCarriesConsentCredentialsAndTokens() throws {
        let scratch = try Scratch()
        let file = try scratch.file("customers.csv", """
            customer_id,first_name,last_name,email,tier,credentials,recognition_consent
            C-1,Ada,Lovelace,ada@example.com,VIP,300833b2ddd9014000000001; 0004512345 ,yes
            C-2,,,,,,no
            C-3,Cy,,,gold,300833B2DDD9014000000003,TRUE
            """)
        _ = try scratch.importer.importCustomers(file: file, tokenizer: scratch.tokenizer)
        let master = try scratch.database.loadMasterData()
        #expect(master.revision == (try scratch.database.masterRevision()))
        #expect(master.customers.map(\.customerID) == ["C-1", "C-2", "C-3"])
        let ada = master.customers[0]
        #expect(ada.firstName == "Ada")
        #expect(ada.tier == "vip")
        #expect(ada.recognitionConsent)
        #expect(ada.token == scratch.tokenizer.token(for: "C-1"))
        #expect(Set(ada.credentials) == [.init(value: "300833B2DDD9014000000001", kind: .epc), .init(value: "0004512345", kind: .card)])
        let second = master.customers[1]
        #expect(second.firstName == nil)
        #expect(second.tier == "regular")
        #expect(!second.recognitionConsent)
        #expect(second.credentials.isEmpty)
        #expect(master.customers[2].credentials == [.init(value: "300833B2DDD9014000000003", kind: .epc)])
        #expect(master.customers[2].recognitionConsent)
    }

    @Test func reimportUpdatesAndReplacesCredentials() throws {
        let scratch = try Scratch()
        let header = "customer_id,credentials,recognition_consent\n"
        let first = try scratch.file("a.csv", header + "C-1,0001;0002,yes\nC-2,0003,no\n")
        _ = try scratch.importer.importCustomers(file: first, tokenizer: scratch.tokenizer)
        let consentAt = try scratch.database.pool.read { db in
            try String.fetchOne(db, sql: "SELECT consent_at FROM customers WHERE customer_id = 'C-1'")
        }
        #expect(consentAt != nil)

        // C-1 gives up 0002 and C-2 takes it over in the same file, C-1's line first.
        let second = try scratch.file("b.csv", header + "C-1,0001,yes\nC-2,0002;0003,no\nC-3,,no\n")
        let summary = try scratch.importer.importCustomers(file: second, tokenizer: scratch.tokenizer)
        #expect(summary.imported == 3)
        #expect(summary.updated == 2)
        #expect(summary.rejected == 0)
        let master = try scratch.database.loadMasterData()
        #expect(master.customers.map { $0.credentials.map(\.value).sorted() } == [["0001"], ["0002", "0003"], []])
        let consentAfter = try scratch.database.pool.read { db in
            try String.fetchOne(db, sql: "SELECT consent_at FROM customers WHERE customer_id = 'C-1'")
        }
        #expect(consentAfter == consentAt, "consent keeps the time it was first given")
    }

    @Test func masterRevisionGrowsWithEveryImport() throws {
        let scratch = try Scratch()
        let before = try scratch.database.masterRevision()
        let file = try scratch.file("c.csv", "customer_id,recognition_consent\nC-1,yes\n")
        _ = try scratch.importer.importCustomers(file: file, tokenizer: scratch.tokenizer)
        let afterCustomers = try scratch.database.masterRevision()
        #expect(afterCustomers == before + 1, "a bulk import bumps the revision once, not once a row")
        let products = try scratch.file("p.csv", "gtin,name,price,currency\n96385074,Gum,0.99,eur\n")
        _ = try scratch.importer.importProducts(file: products)
        #expect(try scratch.database.masterRevision() > afterCustomers)
    }

    @Test func aChangeFromAnotherConnectionMovesTheRevision() throws {
        // Another process importing shows up through the triggers, not through this process's code.
        // An import first: it silences the triggers inside its own transaction and must re-arm them.
        let scratch = try Scratch()
        let file = try scratch.file("c.csv", "customer_id,recognition_consent\nC-1,yes\n")
        _ = try scratch.importer.importCustomers(file: file, tokenizer: scratch.tokenizer)
        let before = try scratch.database.masterRevision()
        let other = try DatabaseQueue(path: scratch.database.path)
        try other.write { db in
            try db.execute(sql: "INSERT INTO products (gtin, name, price, currency, updated_at) VALUES ('00000096385074', 'Gum', '1', 'EUR', 'now')")
        }
        #expect(try scratch.database.masterRevision() == before + 1)
        try other.write { db in
            try db.execute(sql: "UPDATE customers SET tier = 'vip' WHERE customer_id = 'C-1'")
            try db.execute(sql: "DELETE FROM products")
        }
        try other.close()
        #expect(try scratch.database.masterRevision() == before + 3)
    }

    @Test func headerProblemsFailTheWholeImport() throws {
        let scratch = try Scratch()
        let extra = try scratch.file("extra.csv", "customer_id,recognition_consent,shoe_size,Loyalty\nC-1,yes,42,x\n")
        #expect {
            _ = try scratch.importer.importCustomers(file: extra, tokenizer: scratch.tokenizer)
        } throws: { error in
            let error = error as? CRMStoreError
            return error?.code == .csv && error?.message.hasPrefix("\(extra):1: unknown columns 'shoe_size', 'loyalty'") == true
        }
        let missing = try scratch.file("missing.csv", "customer_id,first_name\nC-1,Ada\n")
        #expect {
            _ = try scratch.importer.importCustomers(file: missing, tokenizer: scratch.tokenizer)
        } throws: { error in
            "\(error)".hasPrefix("\(missing):1: missing column 'recognition_consent'")
        }
        let empty = try scratch.file("empty.csv", "")
        #expect(throws: CRMStoreError.self) { _ = try scratch.importer.importCustomers(file: empty, tokenizer: scratch.tokenizer) }
        #expect {
            _ = try scratch.importer.importCustomers(file: "\(scratch.folder)/nope.csv", tokenizer: scratch.tokenizer)
        } throws: { error in
            (error as? CRMStoreError)?.code == .csv && "\(error)".contains("nope.csv")
        }
        #expect(try scratch.database.customerCount() == 0)
    }

    @Test func aLineWithTheWrongNumberOfFieldsIsRejected() throws {
        let scratch = try Scratch()
        let file = try scratch.file("c.csv", "customer_id,first_name,recognition_consent\nC-1,Smith, John,yes\nC-2,\"Smith, Jane\",yes\n")
        let summary = try scratch.importer.importCustomers(file: file, tokenizer: scratch.tokenizer)
        #expect(summary.imported == 1)
        #expect(summary.errors == ["\(file):2: 4 fields where the header has 3 (a value with a comma must be quoted)"])
        #expect(try scratch.database.loadMasterData().customers.first?.firstName == "Smith, Jane")
    }

    @Test func progressIsReportedAndErrorsAreCapped() throws {
        let scratch = try Scratch()
        var text = "customer_id,recognition_consent\n"
        for index in 0..<2_500 { text += index % 2 == 0 ? "C-\(index),yes\n" : "C-\(index),perhaps\n" }
        let file = try scratch.file("c.csv", text)
        let importer = CSVImporter(database: scratch.database, logger: scratch.logger, progressInterval: 1_000, maxReportedErrors: 10)
        var calls: [Int] = []
        let summary = try importer.importCustomers(file: file, tokenizer: scratch.tokenizer) { calls.append($0) }
        #expect(calls == [1_000, 2_000, 2_500])
        #expect(summary.imported == 1_250)
        #expect(summary.rejected == 1_250)
        #expect(summary.errors.count == 10)
        #expect(summary.unreportedErrors == 1_240)
    }

    @Test func aLargeFileImportsQuickly() throws {
        let scratch = try Scratch()
        var text = "customer_id,first_name,last_name,email,tier,credentials,recognition_consent\n"
        let count = 20_000
        for index in 0..<count {
            let hex = String(index, radix: 16)
            let epc = "3008" + String(repeating: "0", count: 20 - hex.count) + hex
            text += "C-\(index),First\(index),Last,c\(index)@example.com,regular,\(epc),\(index % 3 == 0 ? "no" : "yes")\n"
        }
        let file = try scratch.file("big.csv", text)
        let clock = ContinuousClock()
        var summary: ImportSummary?
        let elapsed = try clock.measure {
            summary = try scratch.importer.importCustomers(file: file, tokenizer: scratch.tokenizer)
        }
        #expect(summary?.imported == count)
        let master = try scratch.database.loadMasterData()
        #expect(master.customers.count == count)
        #expect(master.customers.allSatisfy { $0.credentials.count == 1 })
        // Generous for a debug build on a small machine; a release build is many times faster.
        #expect(elapsed < .seconds(30))
    }
}

@Suite struct ProductImportTests {
    @Test func badCheckDigitAndBadValuesAreRejected() throws {
        let scratch = try Scratch()
        let file = try scratch.file("products.csv", """
            gtin,name,price,currency,category\r
            4006381333931,"Pencil, HB",1.10,eur,stationery\r
            4006381333932,Pen,2.00,EUR,stationery\r
            96385074,Gum,"12,x",EUR,\r
            036000291452,"Soap \"\"Fresh\"\"",3,EURO,\r
            10614141000415,Case,-1.00,USD,\r
            """)
        let summary = try scratch.importer.importProducts(file: file)
        #expect(summary.imported == 1)
        #expect(summary.rejected == 4)
        #expect(summary.errors == [
            "\(file):3: column 'gtin': '4006381333932' has a wrong check digit (expected 1)",
            "\(file):4: column 'price': '12,x' is not a decimal amount",
            "\(file):5: column 'currency': 'EURO' is not a 3-letter currency code",
            "\(file):6: column 'price': '-1.00' is negative; a price is zero or more",
        ])
        let products = try scratch.database.loadMasterData().products
        #expect(products == [MasterData.Product(gtin: "04006381333931", name: "Pencil, HB", price: Decimal(string: "1.1")!,
                                                currency: "EUR", category: "stationery")])
    }

    @Test func gtinsArePaddedAndUpsertedOnTheirGTIN14() throws {
        let scratch = try Scratch()
        let first = try scratch.file("a.csv", "name,gtin,price,currency\nPencil,4006381333931,1.10,EUR\nGum,96385074,0.5,EUR\n")
        #expect(try scratch.importer.importProducts(file: first).imported == 2)
        // The same pencil as a GTIN-14 is the same product: updated, not added.
        let second = try scratch.file("b.csv", "gtin,name,price,currency\n04006381333931,Pencil HB,1.25,EUR\n")
        let summary = try scratch.importer.importProducts(file: second)
        #expect(summary.imported == 1)
        #expect(summary.updated == 1)
        let products = try scratch.database.loadMasterData().products
        #expect(products.map(\.gtin) == ["00000096385074", "04006381333931"])
        #expect(products[1].name == "Pencil HB")
        #expect(products[1].price == Decimal(string: "1.25")!)
        #expect(products[1].category == nil)
    }

    @Test func seedingImportsOnlyIntoEmptyTables() throws {
        let scratch = try Scratch()
        _ = try scratch.file("customers.csv", "customer_id,recognition_consent\nC-1,yes\n")
        _ = try scratch.file("products.csv", "gtin,name,price,currency\n96385074,Gum,0.5,EUR\n")
        var seed = CRMConfig.Seed()
        seed.customers = "customers.csv"
        seed.products = "products.csv"
        let summaries = try scratch.importer.seedIfEmpty(seed, relativeTo: scratch.folder, tokenizer: scratch.tokenizer)
        #expect(summaries.map(\.imported) == [1, 1])
        #expect(try scratch.importer.seedIfEmpty(seed, relativeTo: scratch.folder, tokenizer: scratch.tokenizer).isEmpty)
    }
}
