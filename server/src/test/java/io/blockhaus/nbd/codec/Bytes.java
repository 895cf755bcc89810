package io.blockhaus.nbd.codec;

import java.io.ByteArrayOutputStream;
import java.nio.charset.StandardCharsets;

/** Builds expected and input wire bytes field by field, big-endian as the spec lays them out. */
final class Bytes {
    private final ByteArrayOutputStream out = new ByteArrayOutputStream();

    static Bytes of() {
        return new Bytes();
    }

    Bytes u8(int v) {
        out.write(v);
        return this;
    }

    Bytes u16(int v) {
        return u8(v >>> 8).u8(v);
    }

    Bytes u32(long v) {
        return u16((int) (v >>> 16)).u16((int) v);
    }

    Bytes u64(long v) {
        return u32(v >>> 32).u32(v);
    }

    Bytes raw(byte[] b) {
        out.writeBytes(b);
        return this;
    }

    Bytes raw(Bytes b) {
        return raw(b.build());
    }

    Bytes zeros(int n) {
        return raw(new byte[n]);
    }

    Bytes ascii(String s) {
        return raw(s.getBytes(StandardCharsets.UTF_8));
    }

    /** A string prefixed by its 32-bit length, as in INFO/GO and META_CONTEXT option data. */
    Bytes str32(String s) {
        byte[] b = s.getBytes(StandardCharsets.UTF_8);
        return u32(b.length).raw(b);
    }

    int size() {
        return out.size();
    }

    byte[] build() {
        return out.toByteArray();
    }

    /** Client option: IHAVEOPT, code, length, data. */
    static Bytes option(int code, byte[] data) {
        return of().u64(0x49484156454f5054L).u32(code).u32(data.length).raw(data);
    }

    /** Compact request header. */
    static Bytes request(int flags, int type, long cookie, long offset, long length) {
        return of().u32(0x25609513).u16(flags).u16(type).u64(cookie).u64(offset).u32(length);
    }

    /** Extended request header. */
    static Bytes extendedRequest(int flags, int type, long cookie, long offset, long length) {
        return of().u32(0x21e41c71).u16(flags).u16(type).u64(cookie).u64(offset).u64(length);
    }

    static byte[] filled(int n, int seed) {
        byte[] b = new byte[n];
        for (int i = 0; i < n; i++) {
            b[i] = (byte) (i * 31 + seed);
        }
        return b;
    }
}
