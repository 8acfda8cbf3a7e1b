import Testing

@testable import CygnetHub

@Suite struct ScopesTests {
    @Test func broadScopesImplyNarrowerOnes() {
        let admin = Scopes(["admin:servers"])
        #expect(admin.allows("delete:servers", user: "alice", server: ""))
        #expect(admin.allows("read:servers"))
        #expect(!admin.allows("list:users"))
    }

    @Test func filtersNarrowToOneUserOrServer() {
        let own = Scopes.owner("alice")
        #expect(own.allows("access:servers", user: "alice", server: ""))
        #expect(own.allows("read:users:name", user: "alice"))
        #expect(!own.allows("access:servers", user: "bob", server: ""))
        #expect(!own.allows("read:users"))
        let server = Scopes(["access:servers!server=alice/"])
        #expect(server.allows("access:servers", user: "alice", server: ""))
        #expect(!server.allows("access:servers", user: "alicex", server: ""))
        let group = Scopes(["read:users!group=class-7b"])
        #expect(group.allows("read:users:name", user: "carol", groups: ["class-7b"]))
        #expect(!group.allows("read:users:name", user: "dave", groups: ["class-7c"]))
    }

    @Test func expansionKeepsTheFilter() {
        let expanded = Scopes(["read:users!user=alice"]).expanded
        #expect(expanded.contains("read:users:name!user=alice"))
        #expect(expanded.contains("read:users:activity!user=alice"))
        #expect(!expanded.contains("read:users:name"))
    }

    @Test func unknownScopesAreRecognised() {
        #expect(Scopes.isKnown("servers"))
        #expect(Scopes.isKnown("access:servers!server=alice/"))
        #expect(!Scopes.isKnown("root"))
        #expect(!Scopes.isKnown("servers!owner=alice"))
    }

    @Test func aUsersTokenMayOnlyCarryScopesAboutThemselves() {
        #expect(IdentityResolver.within("access:servers!user=alice", owner: "alice"))
        #expect(IdentityResolver.within("read:users!user=alice", owner: "alice"))
        #expect(!IdentityResolver.within("access:servers!user=bob", owner: "alice"))
        #expect(!IdentityResolver.within("admin:users!user=alice", owner: "alice"))
        #expect(!IdentityResolver.within("servers", owner: "alice"))
    }
}
