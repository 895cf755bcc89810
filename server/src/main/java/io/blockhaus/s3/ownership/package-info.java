/**
 * Who may write a volume kept in object storage: its manifest (geometry and owner, one object per
 * version, each created only if absent), the owner's lease, fencing by epoch, and takeover by
 * another server once the lease expired.
 */
package io.blockhaus.s3.ownership;
