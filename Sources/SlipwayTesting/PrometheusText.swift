import Foundation

/// A strict reader of Prometheus' text exposition format (version 0.0.4) for the tests of `/metrics`: every line must
/// be a `# HELP`, a `# TYPE` or a sample, with valid names, label sets and values; every sample belongs to a family
/// whose `TYPE` came before it (a histogram's `_bucket`, `_sum` and `_count` to their histogram); a name is typed once;
/// a histogram's buckets carry `le`, rise with it, end at `+Inf`, and its `_count` equals the `+Inf` bucket.
public struct PrometheusText: Sendable {
    /// One sample line.
    public struct Sample: Sendable, Equatable {
        public var name: String
        public var labels: [String: String]
        public var value: Double
    }

    /// A line that breaks the format, with its number (from 1) and why.
    public struct Problem: Error, CustomStringConvertible {
        public var line: Int
        public var reason: String
        public var text: String
        public var description: String { "line \(line): \(reason): \(text)" }
    }

    public private(set) var samples: [Sample] = []
    /// The type of each family (`counter`, `gauge`, `histogram`, `summary`, `untyped`).
    public private(set) var types: [String: String] = [:]
    /// The help text of each family that has one.
    public private(set) var help: [String: String] = [:]

    /// Reads `text`, throwing the first `Problem`.
    public static func parse(_ text: String) throws -> PrometheusText {
        var page = PrometheusText()
        var lines = text.split(separator: "\n", omittingEmptySubsequences: false).map(String.init)
        guard lines.last == "" else { throw Problem(line: lines.count, reason: "the page does not end with a newline", text: lines.last ?? "") }
        lines.removeLast()
        var seenSamples: Set<String> = []
        for (index, line) in lines.enumerated() {
            let number = index + 1
            func problem(_ reason: String) -> Problem { Problem(line: number, reason: reason, text: line) }
            if line.hasPrefix("#") {
                let parts = line.split(separator: " ", maxSplits: 3, omittingEmptySubsequences: false).map(String.init)
                guard parts.count >= 3, parts[0] == "#", isMetricName(parts[2]) else { throw problem("not a HELP or TYPE line") }
                let name = parts[2]
                switch parts[1] {
                case "HELP":
                    guard parts.count == 4, page.help[name] == nil else { throw problem("a HELP without text, or a second one") }
                    page.help[name] = parts[3]
                case "TYPE":
                    guard parts.count == 4, ["counter", "gauge", "histogram", "summary", "untyped"].contains(parts[3]) else {
                        throw problem("an unknown type")
                    }
                    guard page.types[name] == nil else { throw problem("a second TYPE for \(name)") }
                    guard !seenSamples.contains(name) else { throw problem("a TYPE after samples of \(name)") }
                    page.types[name] = parts[3]
                default:
                    throw problem("a comment that is neither HELP nor TYPE")
                }
                continue
            }
            guard let sample = parseSample(line) else { throw problem("not a sample line") }
            let family = page.family(of: sample.name)
            guard let type = page.types[family] else { throw problem("a sample of \(family), which has no TYPE before it") }
            if type == "histogram", sample.name.hasSuffix("_bucket") {
                guard let bound = sample.labels["le"], parseValue(bound) != nil else { throw problem("a bucket without a valid le") }
            }
            if type == "counter" || sample.name.hasSuffix("_bucket") || sample.name.hasSuffix("_count") {
                guard sample.value >= 0 else { throw problem("a negative count") }
            }
            seenSamples.insert(family)
            page.samples.append(sample)
        }
        try page.checkHistograms()
        return page
    }

    /// The family a sample belongs to: its own name, or the histogram/summary it is a part of.
    private func family(of name: String) -> String {
        if types[name] != nil { return name }
        for suffix in ["_bucket", "_sum", "_count"] where name.hasSuffix(suffix) {
            let base = String(name.dropLast(suffix.count))
            if let type = types[base], type == "histogram" || type == "summary" { return base }
        }
        return name
    }

    private func checkHistograms() throws {
        for (name, type) in types where type == "histogram" {
            var series: [[String: String]: [(Double, Double)]] = [:]
            for sample in samples where sample.name == name + "_bucket" {
                var labels = sample.labels
                let bound = Self.parseValue(labels.removeValue(forKey: "le")!)!
                series[labels, default: []].append((bound, sample.value))
            }
            for (labels, buckets) in series {
                let problem = Problem(line: 0, reason: "histogram \(name) \(labels)", text: "\(buckets)")
                guard buckets.map(\.0) == buckets.map(\.0).sorted(), buckets.last?.0 == .infinity else { throw problem }
                guard zip(buckets, buckets.dropFirst()).allSatisfy({ $0.1 <= $1.1 }) else { throw problem }
                guard let count = value(name + "_count", labels), count == buckets.last!.1, value(name + "_sum", labels) != nil else { throw problem }
            }
        }
    }

    /// The value of the sample `name` whose labels are exactly `labels`; nil when there is none.
    public func value(_ name: String, _ labels: [String: String] = [:]) -> Double? {
        samples.first { $0.name == name && $0.labels == labels }?.value
    }

    /// The sum of the samples `name` whose labels include `labels` (0 when none).
    public func sum(_ name: String, matching labels: [String: String] = [:]) -> Double {
        samples.filter { sample in sample.name == name && labels.allSatisfy { sample.labels[$0.key] == $0.value } }.map(\.value).reduce(0, +)
    }

    static func isMetricName(_ name: String) -> Bool {
        guard let first = name.unicodeScalars.first, first == "_" || first == ":" || isLetter(first) else { return false }
        return name.unicodeScalars.allSatisfy { $0 == "_" || $0 == ":" || isLetter($0) || isDigit($0) }
    }

    static func isLabelName(_ name: String) -> Bool {
        guard let first = name.unicodeScalars.first, first == "_" || isLetter(first) else { return false }
        return name.unicodeScalars.allSatisfy { $0 == "_" || isLetter($0) || isDigit($0) }
    }

    private static func isLetter(_ scalar: Unicode.Scalar) -> Bool { ("a"..."z").contains(scalar) || ("A"..."Z").contains(scalar) }
    private static func isDigit(_ scalar: Unicode.Scalar) -> Bool { ("0"..."9").contains(scalar) }

    /// A sample value: a decimal or exponent number, `+Inf`, `-Inf`, `NaN`.
    static func parseValue(_ text: String) -> Double? {
        switch text {
        case "+Inf", "Inf": return .infinity
        case "-Inf": return -.infinity
        case "NaN": return .nan
        default:
            guard !text.isEmpty, text.allSatisfy({ "0123456789.eE+-".contains($0) }) else { return nil }
            return Double(text)
        }
    }

    /// `name{label="value",…} value [timestamp]`; nil when the line is anything else.
    static func parseSample(_ line: String) -> Sample? {
        let scalars = Array(line.unicodeScalars)
        var index = 0
        var name = ""
        while index < scalars.count, scalars[index] != "{", scalars[index] != " " {
            name.unicodeScalars.append(scalars[index])
            index += 1
        }
        guard isMetricName(name) else { return nil }
        var labels: [String: String] = [:]
        if index < scalars.count, scalars[index] == "{" {
            index += 1
            while index < scalars.count, scalars[index] != "}" {
                var label = ""
                while index < scalars.count, scalars[index] != "=" {
                    label.unicodeScalars.append(scalars[index])
                    index += 1
                }
                guard isLabelName(label), labels[label] == nil, index + 1 < scalars.count, scalars[index + 1] == "\"" else { return nil }
                index += 2
                var value = ""
                while index < scalars.count, scalars[index] != "\"" {
                    if scalars[index] == "\\" {
                        guard index + 1 < scalars.count else { return nil }
                        switch scalars[index + 1] {
                        case "\\": value += "\\"
                        case "\"": value += "\""
                        case "n": value += "\n"
                        default: return nil
                        }
                        index += 2
                    } else {
                        value.unicodeScalars.append(scalars[index])
                        index += 1
                    }
                }
                guard index < scalars.count else { return nil }
                index += 1
                labels[label] = value
                if index < scalars.count, scalars[index] == "," { index += 1 }
            }
            guard index < scalars.count else { return nil }
            index += 1
        }
        let rest = String(String.UnicodeScalarView(scalars[index...]))
        guard rest.hasPrefix(" ") else { return nil }
        let fields = rest.dropFirst().split(separator: " ", omittingEmptySubsequences: false).map(String.init)
        guard fields.count == 1 || fields.count == 2, let value = parseValue(fields[0]) else { return nil }
        if fields.count == 2, Int64(fields[1]) == nil { return nil }
        return Sample(name: name, labels: labels, value: value)
    }
}
