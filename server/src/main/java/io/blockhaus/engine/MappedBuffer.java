package io.blockhaus.engine;

/**
 * A direct I/O buffer that is a client's mapping rather than plain memory: the network form of
 * passing an mmapped address to read(2)/write(2) on an O_DIRECT file.
 *
 * @param mapping the mapping whose pages hold (or receive) the bytes
 * @param offset  byte offset inside the mapping
 * @param length  number of bytes
 */
public record MappedBuffer(Mapping mapping, long offset, int length) {
    public MappedBuffer {
        if (mapping == null || offset < 0 || length < 0) {
            throw new IllegalArgumentException("bad mapped buffer " + offset + "+" + length);
        }
    }
}
