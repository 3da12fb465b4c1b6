/// Punycode (RFC 3492): the Bootstring encoding IDNA uses to write a label of Unicode in the letters, digits and
/// hyphen of DNS (`bücher` → `bcher-kva`, then `xn--bcher-kva` in a host name). Foundation on Linux does not do it.
public enum Punycode {
    private static let base: UInt32 = 36
    private static let tMin: UInt32 = 1
    private static let tMax: UInt32 = 26
    private static let skew: UInt32 = 38
    private static let damp: UInt32 = 700
    private static let initialBias: UInt32 = 72
    private static let initialN: UInt32 = 128

    /// The Punycode of `input` (without the `xn--` prefix), or nil when the arithmetic would overflow (a label far
    /// longer than DNS allows). Basic code points (ASCII) are copied as they are, case included, as RFC 3492 does.
    public static func encode(_ input: String) -> String? {
        let codePoints = input.unicodeScalars.map(\.value)
        var output = codePoints.filter { $0 < 0x80 }.map { Character(Unicode.Scalar(UInt8($0))) }
        let basicCount = UInt32(output.count)
        var handled = basicCount
        if basicCount > 0 { output.append("-") }

        var n = initialN
        var delta: UInt32 = 0
        var bias = initialBias
        while handled < UInt32(codePoints.count) {
            // The smallest code point not handled yet.
            guard let next = codePoints.filter({ $0 >= n }).min() else { return nil }
            let (increase, overflowA) = (next - n).multipliedReportingOverflow(by: handled + 1)
            let (sum, overflowB) = delta.addingReportingOverflow(increase)
            if overflowA || overflowB { return nil }
            delta = sum
            n = next
            for codePoint in codePoints {
                if codePoint < n {
                    let (incremented, overflow) = delta.addingReportingOverflow(1)
                    if overflow { return nil }
                    delta = incremented
                }
                guard codePoint == n else { continue }
                var q = delta
                var k = base
                while true {
                    let t = k <= bias ? tMin : (k >= bias + tMax ? tMax : k - bias)
                    if q < t { break }
                    output.append(digit(t + (q - t) % (base - t)))
                    q = (q - t) / (base - t)
                    k += base
                }
                output.append(digit(q))
                bias = adapt(delta: delta, pointCount: handled + 1, isFirst: handled == basicCount)
                delta = 0
                handled += 1
            }
            delta += 1
            n += 1
        }
        return String(output)
    }

    /// The digit of a value from 0 to 35: `a`–`z`, then `0`–`9`.
    private static func digit(_ value: UInt32) -> Character {
        Character(Unicode.Scalar(UInt8(value < 26 ? value + 97 : value + 22)))
    }

    /// The bias adaptation function of RFC 3492 §6.1.
    private static func adapt(delta: UInt32, pointCount: UInt32, isFirst: Bool) -> UInt32 {
        var delta = isFirst ? delta / damp : delta / 2
        delta += delta / pointCount
        var k: UInt32 = 0
        while delta > ((base - tMin) * tMax) / 2 {
            delta /= base - tMin
            k += base
        }
        return k + (base - tMin + 1) * delta / (delta + skew)
    }
}
