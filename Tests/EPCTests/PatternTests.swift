import Testing
@testable import EPC

@Suite("EPC patterns")
struct PatternTests {
    let item = try! EPCBinary(hex: "3074257BF7194E4000001A85") // sgtin-96:3.0614141.812345.6789

    func matches(_ pattern: String, _ hex: String) throws -> Bool {
        try EPCPattern(pattern).matches(EPCBinary(hex: hex))
    }

    @Test("tag patterns: values, stars and ranges")
    func tagPatterns() throws {
        let yes = [
            "urn:epc:pat:sgtin-96:3.0614141.812345.6789",
            "urn:epc:pat:sgtin-96:3.0614141.812345.*",
            "urn:epc:pat:sgtin-96:3.0614141.*.*",
            "urn:epc:pat:sgtin-96:*.*.*.*",
            "urn:epc:pat:sgtin-96:[2-3].0614141.*.[6789-6789]",
            "urn:epc:pat:sgtin-96:*.0614141.812345.[0-10000]",
        ]
        let no = [
            "urn:epc:pat:sgtin-96:1.0614141.*.*",
            "urn:epc:pat:sgtin-96:3.0614142.*.*",
            "urn:epc:pat:sgtin-96:3.614141.*.*", // six digits: another partition, another prefix
            "urn:epc:pat:sgtin-96:3.0614141.812346.*",
            "urn:epc:pat:sgtin-96:3.0614141.*.[0-6788]",
            "urn:epc:pat:sgtin-198:3.0614141.*.*",
            "urn:epc:pat:sscc-96:3.0614141.*",
        ]
        for pattern in yes { #expect(try EPCPattern(pattern).matches(item), "\(pattern)") }
        for pattern in no { #expect(try !EPCPattern(pattern).matches(item), "\(pattern)") }
    }

    @Test("identity patterns match every binary scheme of the EPC scheme, whatever the filter")
    func identityPatterns() throws {
        let sgtin198 = "3674257BF6B7A659B2C2BF100000000000000000000000000000" // 0614141.712345.32a/b
        #expect(try matches("urn:epc:idpat:sgtin:0614141.*.*", "3074257BF7194E4000001A85"))
        #expect(try matches("urn:epc:idpat:sgtin:0614141.*.*", sgtin198))
        #expect(try matches("urn:epc:idpat:sgtin:0614141.712345.32a%2Fb", sgtin198))
        #expect(try !matches("urn:epc:idpat:sgtin:0614141.712345.32a%2Fc", sgtin198))
        #expect(try matches("urn:epc:idpat:sgtin:0614141.812345.6789", "3074257BF7194E4000001A85"))
        #expect(try matches("urn:epc:idpat:sgtin:*.*.*", "3074257BF7194E4000001A85"))
        #expect(try !matches("urn:epc:idpat:sscc:0614141.*", "3074257BF7194E4000001A85"))
        // A serial SGTIN-96 cannot hold compiles to the SGTIN-198 test only.
        #expect(try EPCPattern("urn:epc:idpat:sgtin:0614141.812345.06789").programs.map(\.header) == [0x36])
    }

    @Test("variable-length fields: CPI-var and ADI-var")
    func variableLength() throws {
        let cpi = "3D74257BF75411DEF6B4CC00000003039000" // cpi-var:3.0614141.5PQ7/Z43.12345
        #expect(try matches("urn:epc:pat:cpi-var:3.0614141.5PQ7%2FZ43.12345", cpi))
        #expect(try matches("urn:epc:pat:cpi-var:3.0614141.*.12345", cpi))
        #expect(try matches("urn:epc:pat:cpi-var:3.0614141.*.[12000-13000]", cpi))
        #expect(try !matches("urn:epc:pat:cpi-var:3.0614141.*.12346", cpi))
        #expect(try matches("urn:epc:pat:cpi-var:*.*.*.12345", cpi))
        #expect(try !matches("urn:epc:pat:cpi-var:3.0614141.5PQ7%2FZ4.*", cpi))
        let adi = "3B0E0CF5E76C9047759AD00373DC7602E7200000" // adi-var:3.35962.PQ7VZ4.M37GXB92
        #expect(try matches("urn:epc:pat:adi-var:3.35962.*.M37GXB92", adi))
        #expect(try matches("urn:epc:pat:adi-var:*.35962.PQ7VZ4.*", adi))
        #expect(try !matches("urn:epc:pat:adi-var:3.35962.*.M37GXB9", adi))
        #expect(try matches("urn:epc:idpat:adi:35962.PQ7VZ4.M37GXB92", adi))
    }

    @Test("patterns never match raw or short tags")
    func rawAndShort() throws {
        let pattern = try EPCPattern("urn:epc:pat:sgtin-96:*.*.*.*")
        #expect(!pattern.matches(try EPCBinary(hex: "E2801160600002000000FFFF")))
        #expect(!pattern.matches(try EPCBinary(hex: "3074257BF7194E40")))
        #expect(!EPCPatternSet.anyTDS.matches(try EPCBinary(hex: "E2801160600002000000FFFF")))
        #expect(!EPCPatternSet.anyTDS.matches(try EPCBinary(hex: "301C257BF7194E4000001A85"))) // partition 7
        #expect(EPCPatternSet.anyTDS.matches(item))
    }

    @Test("bad patterns are rejected with a reason")
    func rejected() {
        let bad: [(String, EPCError.Code)] = [
            ("urn:epc:pat:sgtin-96:3.x.*.*", .malformed),
            ("urn:epc:pat:sgtin-96:3.0614141.*", .malformed),
            ("urn:epc:pat:sgtin-96:3.*.812345.*", .malformed),
            ("urn:epc:pat:sgtin-96:3.0614141.[1-2].*", .malformed),
            ("urn:epc:pat:sgtin-96:[3-2].0614141.*.*", .malformed),
            ("urn:epc:pat:sgtin-96:[3-9].0614141.*.*", .fieldOverflow),
            ("urn:epc:pat:sgtin-96:3.0614141.*.[0-274877906944]", .fieldOverflow),
            ("urn:epc:pat:sgtin-198:3.0614141.*.[1-2]", .malformed),
            ("urn:epc:pat:sgtin-97:3.0614141.*.*", .unknownHeader),
            ("urn:epc:idpat:sgtin:0614141.*.[1-2]", .malformed),
            ("urn:epc:idpat:sgtin:06141.*.*", .invalidPartition),
            ("urn:epc:tag:sgtin-96:3.0614141.*.*", .malformed),
        ]
        for (pattern, expected) in bad {
            do {
                _ = try EPCPattern(pattern)
                Issue.record("\(pattern) was accepted")
            } catch {
                #expect(error.code == expected, "\(pattern): \(error)")
            }
        }
    }

    @Test("the edge filter: include, exclude, and company-prefix shorthand")
    func edgeFilter() throws {
        let own = try EPCBinary(hex: "3074257BF7194E4000001A85")
        let ownSSCC = try EPCBinary(hex: "3174257BF4499602D2000000")
        let foreign = try EPCTag(tagURI: "urn:epc:tag:sgtin-96:1.0012345.100001.5").binary
        let raw = try EPCBinary(hex: "E2801160600002000000FFFF")
        let gid = try EPCBinary(hex: "350007AB70425D4000000586")

        let everything = EPCEdgeFilter()
        #expect(everything.accepts(own) && everything.accepts(foreign) && everything.accepts(gid))
        #expect(!everything.accepts(raw))

        let prefixes = EPCEdgeFilter(include: try EPCPattern.companyPrefixPatterns(["0614141"]))
        #expect(prefixes.accepts(own) && prefixes.accepts(ownSSCC))
        #expect(!prefixes.accepts(foreign) && !prefixes.accepts(raw) && !prefixes.accepts(gid))

        let noPallets = EPCEdgeFilter(include: try EPCPattern.companyPrefixPatterns(["0614141"]),
                                      exclude: [try EPCPattern("urn:epc:idpat:sscc:*.*")])
        #expect(noPallets.accepts(own))
        #expect(!noPallets.accepts(ownSSCC))
    }
}
