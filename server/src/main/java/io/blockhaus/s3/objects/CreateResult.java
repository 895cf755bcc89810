package io.blockhaus.s3.objects;

/** The outcome of a create-only put ({@code If-None-Match: *}). */
public enum CreateResult {
    /** The object did not exist and now holds the body. */
    CREATED,
    /** The object already existed (HTTP 412 or 409); nothing was written. */
    ALREADY_EXISTS
}
