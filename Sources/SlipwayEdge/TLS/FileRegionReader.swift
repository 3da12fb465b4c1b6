import NIOCore

#if canImport(Glibc)
    import Glibc
#elseif canImport(Darwin)
    import Darwin
#endif

/// Turns the static front's `sendfile` writes (`FileRegion`s) into buffers, for the handlers that cannot take a file:
/// NIO's TLS handler (HTTPS over HTTP/1.1) and an HTTP/2 stream's bridge (`HTTP2StreamBridge`). A file is read
/// `chunkSize` bytes at a time, the next chunk once the last one has been written (so a large file never sits in
/// memory whole, and a slow client or a closed HTTP/2 flow-control window holds the reading back); writes that come
/// after it wait their turn. The region's promise succeeds once its last byte has been written (the front then closes
/// the file).
final class FileRegionReader: ChannelOutboundHandler, RemovableChannelHandler {
    typealias OutboundIn = IOData
    typealias OutboundOut = IOData

    /// How much of a file is read at a time.
    static let chunkSize = 64 << 10

    private var queue = CircularBuffer<(data: IOData, promise: EventLoopPromise<Void>?)>()
    private var isPumping = false
    /// A chunk has been written and not yet sent.
    private var chunkInFlight = false
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
        pump()
    }

    /// Writes what is queued: buffers at once, a file a chunk at a time.
    private func pump() {
        guard let context, !isPumping else { return }
        isPumping = true
        defer { isPumping = false }
        var wroteBuffers = false
        while !chunkInFlight, let first = queue.first {
            switch first.data {
            case .byteBuffer:
                queue.removeFirst()
                context.write(wrapOutboundOut(first.data), promise: first.promise)
                wroteBuffers = true
            case .fileRegion(var region):
                let count = min(Self.chunkSize, region.readableBytes)
                let chunk: ByteBuffer
                do {
                    chunk = try Self.read(region, count: count, allocator: context.channel.allocator)
                } catch {
                    failQueued(error)
                    context.close(promise: nil)
                    return
                }
                region.moveReaderIndex(forwardBy: count)
                let isLast = region.readableBytes == 0
                if isLast { queue.removeFirst() } else { queue[queue.startIndex] = (.fileRegion(region), first.promise) }
                chunkInFlight = true
                let written = context.eventLoop.makePromise(of: Void.self)
                // Flushed chunk by chunk: a TLS handler holds unflushed writes where the channel's writability does
                // not see them.
                context.writeAndFlush(wrapOutboundOut(.byteBuffer(chunk)), promise: written)
                written.futureResult.assumeIsolated().whenComplete { [self] result in
                    chunkInFlight = false
                    switch result {
                    case .success:
                        if isLast { first.promise?.succeed(()) }
                        pump()
                    case .failure(let error):
                        if isLast { first.promise?.fail(error) }
                        failQueued(error)
                    }
                }
            }
        }
        if wroteBuffers { context.flush() }
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
