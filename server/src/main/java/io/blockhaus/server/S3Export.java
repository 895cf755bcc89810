package io.blockhaus.server;

import java.util.Objects;

/**
 * Where an {@code --export ...,store=s3} volume lives: its bucket, the key prefix of the volumes
 * in it, and the object size a new volume is striped with. Which endpoint serves the bucket is a
 * server-wide option ({@link S3Options}), so every s3 export of one server shares it.
 *
 * @param bucket     {@code bucket=}; it must exist (the server never creates buckets)
 * @param prefix     {@code prefix=}, empty by default; the volume's keys start with
 *                   {@code prefix + name + "/"} (docs/s3.md, "Keys")
 * @param objectSize {@code object-size=}: bytes per data object of a new volume; an existing volume
 *                   keeps the object size its manifest records
 */
public record S3Export(String bucket, String prefix, int objectSize) {

    /** 4 MiB: large enough that a sequential write is a few large PUTs, small enough to read-modify-write. */
    public static final int DEFAULT_OBJECT_SIZE = 4 << 20;
    /**
     * 64 MiB: one object is read, modified and written whole at writeback, so its size bounds the
     * memory and the request time one partial write can cost.
     */
    public static final int MAX_OBJECT_SIZE = 64 << 20;

    public S3Export {
        Objects.requireNonNull(prefix, "prefix");
        if (!validBucket(bucket)) {
            throw new IllegalArgumentException("invalid bucket name '" + bucket
                    + "': use 3-63 characters of a-z 0-9 . - starting and ending with a letter or digit");
        }
        if (Integer.bitCount(objectSize) != 1 || objectSize > MAX_OBJECT_SIZE) {
            throw new IllegalArgumentException("object size " + objectSize + " must be a power of two of at most 64M");
        }
    }

    /** The key prefix of volume {@code name}: {@code prefix + name + "/"}. */
    public String root(String name) {
        return prefix + name + "/";
    }

    /** {@code s3://bucket/prefix+name/}, for messages. */
    public String describe(String name) {
        return "s3://" + bucket + "/" + root(name);
    }

    /**
     * S3's rules for bucket names (the lenient ones every S3-compatible store accepts): checked
     * here so a typo is a usage error at once, not an HTTP 400 after start-up began.
     */
    static boolean validBucket(String b) {
        if (b == null || b.length() < 3 || b.length() > 63) {
            return false;
        }
        for (int i = 0; i < b.length(); i++) {
            char c = b.charAt(i);
            boolean edge = i == 0 || i == b.length() - 1;
            boolean alnum = c >= 'a' && c <= 'z' || c >= '0' && c <= '9';
            if (!alnum && (edge || c != '.' && c != '-')) {
                return false;
            }
        }
        return true;
    }
}
