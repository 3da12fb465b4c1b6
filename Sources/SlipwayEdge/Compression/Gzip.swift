import NIOCore

/// gzip (RFC 1952) at zlib's best compression, made once per file when a build is stored. zlib (`libz.so.1`, which
/// git itself needs) is loaded at run time: its one-shot `compress2` gives a zlib stream (RFC 1950), whose deflate
/// data goes into a gzip member with zlib's own `crc32`.
enum Gzip {
    private typealias CompressBound = @convention(c) (UInt) -> UInt
    /// `compress2(dest, &destLen, source, sourceLen, level)`, `Z_OK` (0) on success.
    private typealias Compress2 =
        @convention(c) (UnsafeMutablePointer<UInt8>?, UnsafeMutablePointer<UInt>?, UnsafePointer<UInt8>?, UInt, Int32) -> Int32
    private typealias CRC32 = @convention(c) (UInt, UnsafePointer<UInt8>?, UInt32) -> UInt

    private struct Library: Sendable {
        let compressBound: CompressBound
        let compress2: Compress2
        let crc32: CRC32
    }

    private static let library: Library? = SharedLibrary.load(["libz.so.1", "libz.so"], requiring: ["compressBound", "compress2", "crc32"])
        .map { library in
            Library(
                compressBound: library.function("compressBound", as: CompressBound.self),
                compress2: library.function("compress2", as: Compress2.self),
                crc32: library.function("crc32", as: CRC32.self))
        }

    /// Whether this machine has zlib.
    static var isAvailable: Bool { library != nil }

    /// `bytes` compressed; nil without zlib or when it fails (the file is then served as it is).
    static func compress(_ bytes: ByteBuffer) -> ByteBuffer? {
        guard let library, bytes.readableBytes > 0 else { return nil }
        return bytes.withUnsafeReadableBytes { raw -> ByteBuffer? in
            let input = raw.bindMemory(to: UInt8.self)
            var zlibStream = [UInt8](repeating: 0, count: Int(library.compressBound(UInt(input.count))))
            var length = UInt(zlibStream.count)
            guard library.compress2(&zlibStream, &length, input.baseAddress, UInt(input.count), 9) == 0, length > 6 else { return nil }
            // A zlib stream: two bytes of header (no preset dictionary: compress2 never sets one), the deflate data,
            // four bytes of Adler-32.
            let deflate = zlibStream[2..<(Int(length) - 4)]
            var crc: UInt = 0
            var offset = 0
            while offset < input.count {
                let chunk = min(input.count - offset, Int(UInt32.max))
                crc = library.crc32(crc, input.baseAddress! + offset, UInt32(chunk))
                offset += chunk
            }
            var output = ByteBufferAllocator().buffer(capacity: deflate.count + 18)
            // ID1 ID2, deflate, no flags, no time, no extra flags, OS unknown (RFC 1952 §2.3).
            output.writeBytes([0x1f, 0x8b, 8, 0, 0, 0, 0, 0, 0, 255])
            output.writeBytes(deflate)
            output.writeInteger(UInt32(truncatingIfNeeded: crc), endianness: .little)
            output.writeInteger(UInt32(truncatingIfNeeded: input.count), endianness: .little)
            return output
        }
    }
}
