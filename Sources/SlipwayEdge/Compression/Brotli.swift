import NIOCore

/// Brotli (RFC 7932) through Google's encoder, `libbrotlienc`, loaded when the edge first compresses: Debian's
/// `libbrotli1` (and most distributions) ship it, but a machine with only the Swift toolchain may not, and then
/// builds are stored with gzip alone. Loading it at run time (`SharedLibrary`) keeps it out of the build: no header,
/// no link flag.
enum Brotli {
    /// The shared library's names, tried in order.
    static let libraryNames = ["libbrotlienc.so.1", "libbrotlienc.so"]

    private typealias MaxCompressedSize = @convention(c) (Int) -> Int
    /// `BrotliEncoderCompress(quality, lgwin, mode, input_size, input, &encoded_size, encoded)`, true on success.
    private typealias Compress =
        @convention(c) (Int32, Int32, Int32, Int, UnsafePointer<UInt8>?, UnsafeMutablePointer<Int>?, UnsafeMutablePointer<UInt8>?) -> Int32

    private struct Encoder: Sendable {
        let maxCompressedSize: MaxCompressedSize
        let compress: Compress
    }

    private static let encoder: Encoder? = SharedLibrary.load(libraryNames, requiring: ["BrotliEncoderMaxCompressedSize", "BrotliEncoderCompress"])
        .map { library in
            Encoder(
                maxCompressedSize: library.function("BrotliEncoderMaxCompressedSize", as: MaxCompressedSize.self),
                compress: library.function("BrotliEncoderCompress", as: Compress.self))
        }

    /// Whether this machine has the encoder.
    static var isAvailable: Bool { encoder != nil }

    /// The window of the encoder: 4 MiB (`BROTLI_DEFAULT_WINDOW`, 22), which browsers decode.
    static let window: Int32 = 22
    /// `BROTLI_MODE_TEXT`: every file compressed here is text, or wasm.
    static let textMode: Int32 = 1

    /// `bytes` compressed at `quality` (0 to 11); nil without the encoder or when it fails.
    static func compress(_ bytes: ByteBuffer, quality: Int32) -> ByteBuffer? {
        guard let encoder, bytes.readableBytes > 0 else { return nil }
        let capacity = encoder.maxCompressedSize(bytes.readableBytes)
        guard capacity > 0 else { return nil }
        var output = ByteBufferAllocator().buffer(capacity: capacity)
        let succeeded = bytes.withUnsafeReadableBytes { input in
            output.writeWithUnsafeMutableBytes(minimumWritableBytes: capacity) { target in
                var size = capacity
                let result = encoder.compress(
                    quality, window, textMode, input.count, input.bindMemory(to: UInt8.self).baseAddress, &size,
                    target.bindMemory(to: UInt8.self).baseAddress)
                return result == 1 ? size : 0
            } > 0
        }
        return succeeded ? output : nil
    }
}
