import NIOCore

#if canImport(Glibc)
    import Glibc
#elseif canImport(Darwin)
    import Darwin
#endif

/// Turns the static front's `sendfile` writes (`FileRegion`s) into buffers, for the handlers that cannot take a file:
/// NIO's TLS handler (HTTPS over HTTP/1.1) and an HTTP/2 stream's bridge (`HTTP2StreamBridge`). A file is read
/// `chunkSize` bytes at a time and only while the channel is writable, so a large file never sits in memory whole;
/// writes that come after it wait their turn. The region's promise succeeds once its last byte has been written
/// (the front then closes the file).
final class FileRegionReader: ChannelOutboundHandler, RemovableChannelHandler {
    typealias OutboundIn = IOData
    typealias OutboundOut = IOData

    /// How much of a file is read at a time.
    static let chunkSize = 64 << 10

    private var queue = CircularBuffer<(data: IOData, promise: EventLoopPromise<Void>?)>()
    private var isPumping = false
    private var context: ChannelHandlerContext?

    func handlerAdded(context: ChannelHandlerContext) {
        self.context = context
    }

    func handlerRemoved(context: ChannelHandlerContext) {
        failQueued(ChannelError.ioOnClosedChannel)
        self.context = nil
    }

    func write(context: ChannelHandlerContext, data: NIOAny, promise: EventLoopPromise<Void>?) {
        let bytes = unwrapOutboundIn(data)
        if queue.isEmpty, case .byteBuffer = bytes {
            context.write(data, promise: promise)
            return
        }
        queue.append((bytes, promise))
        pump(context)
    }

    func channelWritabilityChanged(context: ChannelHandlerContext) {
        if context.channel.isWritable { pump(context) }
        context.fireChannelWritabilityChanged()
    }

    func channelInactive(context: ChannelHandlerContext) {
        failQueued(ChannelError.ioOnClosedChannel)
        context.fireChannelInactive()
    }

    /// Writes what is queued, as far as the channel takes it: buffers at once, files a chunk at a time.
    private func pump(_ context: ChannelHandlerContext) {
        guard !isPumping else { return }
        isPumping = true
        defer { isPumping = false }
        var wrote = false
        while let first = queue.first {
            switch first.data {
            case .byteBuffer:
                queue.removeFirst()
                context.write(wrapOutboundOut(first.data), promise: first.promise)
                wrote = true
            case .fileRegion(var region):
                guard context.channel.isWritable else {
                    if wrote { context.flush() }
                    return
                }
                let count = min(Self.chunkSize, region.readableBytes)
                let chunk: ByteBuffer
                do {
                    chunk = try Self.read(region, count: count, allocator: context.channel.allocator)
                } catch {
                    queue.removeFirst()
                    first.promise?.fail(error)
                    failQueued(error)
                    context.close(promise: nil)
                    return
                }
                region.moveReaderIndex(forwardBy: count)
                if region.readableBytes == 0 {
                    queue.removeFirst()
                    context.write(wrapOutboundOut(.byteBuffer(chunk)), promise: first.promise)
                } else {
                    queue[queue.startIndex] = (.fileRegion(region), first.promise)
                    context.write(wrapOutboundOut(.byteBuffer(chunk)), promise: nil)
                }
                // Flushed chunk by chunk: a TLS handler holds unflushed writes where the channel's writability does
                // not see them, so the whole file would be read into memory before the first byte went out.
                context.flush()
                wrote = false
            }
        }
        if wrote { context.flush() }
    }

    /// `count` bytes of `region` from its reader index.
    private static func read(_ region: FileRegion, count: Int, allocator: ByteBufferAllocator) throws -> ByteBuffer {
        var buffer = allocator.buffer(capacity: count)
        let offset = off_t(region.readerIndex)
        try region.fileHandle.withUnsafeFileDescriptor { descriptor in
            var done = 0
            while done < count {
                var read = 0
                buffer.writeWithUnsafeMutableBytes(minimumWritableBytes: count - done) { pointer in
                    read = pread(descriptor, pointer.baseAddress, count - done, offset + off_t(done))
                    return max(read, 0)
                }
                if read < 0 && errno == EINTR { continue }
                guard read > 0 else { throw IOError(errnoCode: read < 0 ? errno : EIO, reason: "pread") }
                done += read
            }
        }
        return buffer
    }

    private func failQueued(_ error: any Error) {
        while let first = queue.popFirst() { first.promise?.fail(error) }
    }
}
