/**
 * The serve command, configuration, start-up and shutdown: command-line parsing
 * ({@link io.blockhaus.server.ServeCommand}, {@link io.blockhaus.server.ExportSpec},
 * {@link io.blockhaus.server.SizeParser}, {@link io.blockhaus.server.HostPort}), turning options into
 * volume configurations ({@link io.blockhaus.server.VolumePlan}), opening volumes over their backing
 * files ({@link io.blockhaus.server.VolumeRegistry}, {@link io.blockhaus.server.StoreFactory}) or
 * their object store ({@code store=s3}: {@code S3StoreFactory}, {@link io.blockhaus.server.S3Options})
 * and a graceful stop on SIGTERM / SIGINT ({@link io.blockhaus.server.Shutdown}); the data
 * directory's part in that ({@code DataDirectory}: where new volume files go, and gRPC-created
 * volumes reconciled with {@code --export}; the directory and the exported files held by one
 * server at a time: {@code DataDirectoryLock}, {@code ExportFileLocks}, over {@code OfdLock})
 * and the lines printed at start and stop
 * ({@code ServeConsole}); the start-up warm-up before listening ({@code StartupWarmup} with its
 * small NBD client {@code WarmupClient}, option {@link io.blockhaus.server.WarmupOptions}).
 */
package io.blockhaus.server;
