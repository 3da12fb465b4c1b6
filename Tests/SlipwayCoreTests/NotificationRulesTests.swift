import Foundation
import SlipwayCore
import Testing

/// The input rules of notification destinations, the address rule and the backoff, without IO.
@Suite struct NotificationRulesTests {
    private func field(_ body: () throws -> Any) -> String? {
        do {
            _ = try body()
            return nil
        } catch let error as SlipwayError {
            guard case .invalid(let problems) = error else { return "not invalid" }
            return problems.map { $0.field.rendered(.snakeCase) }.joined(separator: ",")
        } catch {
            return "\(error)"
        }
    }

    @Test func badInputNamesItsField() {
        let rules = NotificationRules()
        let good = "https://hooks.example.com/x"
        #expect(field { try rules.validate(kind: "webhook", url: good, events: ["deployment.failed"], secret: nil) } == nil)
        #expect(field { try rules.validate(kind: "email", url: good, events: ["deployment.failed"], secret: nil) } == "kind")
        #expect(field { try rules.validate(kind: nil, url: good, events: ["deployment.failed"], secret: nil) } == "kind")
        for url in ["ftp://x.example/", "not a url", "", "https://user:pw@x.example/", "https://x.example/#frag", "/relative"] {
            #expect(field { try rules.validate(kind: "webhook", url: url, events: ["deployment.failed"], secret: nil) } == "url", "\(url)")
        }
        for url in ["http://127.0.0.1:9/", "http://localhost/", "http://[::1]/", "http://10.1.2.3/", "http://169.254.169.254/", "http://100.64.0.1/"]
        {
            #expect(field { try rules.validate(kind: "webhook", url: url, events: ["deployment.failed"], secret: nil) } == "url", "\(url)")
            #expect(
                field {
                    try NotificationRules(allowsPrivateTargets: true).validate(kind: "webhook", url: url, events: ["deployment.failed"], secret: nil)
                } == nil)
        }
        #expect(field { try rules.validate(kind: "webhook", url: good, events: [], secret: nil) } == "events")
        #expect(field { try rules.validate(kind: "webhook", url: good, events: nil, secret: nil) } == "events")
        #expect(field { try rules.validate(kind: "webhook", url: good, events: ["deployment.failed", "nope"], secret: nil) } == "events.1")
        #expect(field { try rules.validate(kind: "webhook", url: good, events: ["notification.test"], secret: nil) } == "events.0")
        #expect(field { try rules.validate(kind: "webhook", url: good, events: ["deployment.failed"], secret: "short") } == "secret")
        #expect(
            field { try rules.validate(kind: "webhook", url: good, events: ["deployment.failed"], secret: String(repeating: "s", count: 257)) }
                == "secret")
        #expect(
            field { try rules.validate(kind: "slack", url: good, events: ["deployment.failed"], secret: String(repeating: "s", count: 20)) }
                == "secret")
    }

    @Test func onlyPublicAddressesPass() {
        let refused = [
            "127.0.0.1", "0.0.0.0", "10.0.0.1", "172.16.5.4", "172.31.255.255", "192.168.1.1", "169.254.169.254", "100.64.0.1",
            "100.127.255.255", "224.0.0.1", "255.255.255.255", "::1", "::", "fe80::1", "fc00::1", "fd12:3456::1", "ff02::1", "::ffff:127.0.0.1",
            "::ffff:10.0.0.1", "::127.0.0.1", "64:ff9b::a00:1", "2002:7f00:1::", "localhost", "api.localhost", "[::1]",
        ]
        for host in refused { #expect(NetworkAddressRules.refusal(hostname: host) != nil, "\(host)") }
        let allowed = ["93.184.216.34", "8.8.8.8", "172.32.0.1", "100.128.0.1", "2606:4700::1111", "::ffff:8.8.8.8", "hooks.slack.com"]
        for host in allowed { #expect(NetworkAddressRules.refusal(hostname: host) == nil, "\(host)") }
        #expect(NetworkAddressRules.ipv6Bytes("::ffff:1.2.3.4") == [0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0xff, 0xff, 1, 2, 3, 4])
        #expect(NetworkAddressRules.ipv4Bytes("1.2.3") == nil && NetworkAddressRules.ipv4Bytes("1.2.3.256") == nil)
    }

    @Test func backoffDoublesUpToItsMaximumAndEnds() {
        let backoff = NotificationBackoff(initial: .seconds(10), maximum: .seconds(60), maximumAttempts: 5)
        #expect((1...5).map { backoff.delay(afterAttempt: $0) } == [.seconds(10), .seconds(20), .seconds(40), .seconds(60), nil])
    }
}
