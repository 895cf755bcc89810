package io.blockhaus.server;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import io.blockhaus.engine.IoMode;
import io.blockhaus.engine.VolumeConfig;
import io.blockhaus.engine.lock.LockPolicy;
import java.io.IOException;
import java.io.RandomAccessFile;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Arrays;
import java.util.List;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

class VolumePlanTest {

    @TempDir
    Path tmp;

    private Path dataDir() {
        return tmp.resolve("data");
    }

    private static List<ExportSpec> exports(String... specs) {
        return Arrays.stream(specs).map(ExportSpec::parse).toList();
    }

    private static void sparseFile(Path file, long size) throws IOException {
        Files.createDirectories(file.getParent());
        try (RandomAccessFile f = new RandomAccessFile(file.toFile(), "rw")) {
            f.setLength(size);
        }
    }

    @Test
    void anS3ExportHasNoFileAndItsSizeIsLearntAtOpen() {
        List<VolumePlan> plans = VolumePlan.resolve(dataDir(), exports("name=a,store=s3,bucket=vols,size=1G",
                "name=b,store=s3,bucket=vols,prefix=p/,readonly", "name=c,size=1M"));
        assertThat(plans.get(0)).isEqualTo(new VolumePlan(VolumeConfig.of("a"), null, 1L << 30, false,
                java.util.Optional.of(new S3Export("vols", "", 4 << 20))));
        assertThat(plans.get(1).size()).as("no size=: it must exist").isZero();
        assertThat(plans.get(1).config().readOnly()).isTrue();
        assertThat(plans.get(1).where()).isEqualTo("s3://vols/p/b/");
        assertThat(plans.get(2).where()).isEqualTo(dataDir().toAbsolutePath().resolve("c.img").toString());
        assertThat(dataDir()).as("nothing created").doesNotExist();
        assertThatThrownBy(() -> VolumePlan.resolve(dataDir(), exports("name=ab,store=s3,bucket=vols,prefix=x",
                "name=b,store=s3,bucket=vols,prefix=xa")))
                .hasMessage("exports 'ab' and 'b' both use s3://vols/xab/; each export needs its own prefix");
    }

    @Test
    void noExportsMeansTheDefaultVolumeCreatedWith1GiB() {
        List<VolumePlan> plans = VolumePlan.resolve(dataDir(), List.of());
        assertThat(plans).containsExactly(new VolumePlan(VolumeConfig.of("default"),
                dataDir().toAbsolutePath().resolve("default.img"), 1L << 30, true));
    }

    @Test
    void theDefaultVolumeIsReopenedWithWhateverSizeItHas() throws IOException {
        sparseFile(dataDir().resolve("default.img"), 2L << 30);
        List<VolumePlan> plans = VolumePlan.resolve(dataDir(), List.of());
        assertThat(plans).singleElement().satisfies(p -> {
            assertThat(p.size()).isEqualTo(2L << 30);
            assertThat(p.create()).isFalse();
        });
    }

    @Test
    void buildsTheEngineConfigOfEveryExportInOrder() {
        List<VolumePlan> plans = VolumePlan.resolve(dataDir(), exports(
                "name=b,size=1M",
                "name=a,size=64K,io=direct,lock=range,page-size=16K"));
        assertThat(plans).extracting(VolumePlan::config).containsExactly(
                VolumeConfig.of("b"),
                VolumeConfig.of("a").withIo(IoMode.DIRECT).withLockPolicy(LockPolicy.RANGE).withPageSize(16384));
        assertThat(plans).extracting(VolumePlan::size).containsExactly(1L << 20, 64L << 10);
        assertThat(plans).extracting(VolumePlan::create).containsExactly(true, true);
    }

    @Test
    void aNameAloneAlwaysLandsInTheDataDir() {
        Path dir = dataDir().toAbsolutePath();
        assertThat(VolumePlan.fileOf(dataDir(), ExportSpec.named("disk"))).isEqualTo(dir.resolve("disk.img"));
        assertThat(VolumePlan.fileOf(dataDir(), ExportSpec.named("a..b"))).isEqualTo(dir.resolve("a..b.img"));
        assertThat(VolumePlan.fileOf(dataDir(), ExportSpec.named("-x"))).isEqualTo(dir.resolve("-x.img"));
    }

    @Test
    void relativePathsResolveInsideTheDataDir() {
        List<VolumePlan> plans = VolumePlan.resolve(dataDir(), exports("name=a,size=1M,path=sub/../vols/a.raw"));
        assertThat(plans.getFirst().file()).isEqualTo(dataDir().toAbsolutePath().resolve("vols/a.raw"));
    }

    @Test
    void relativePathsCannotLeaveTheDataDir() {
        for (String path : new String[] {"../a.img", "x/../../a.img", ".", "x/.."}) {
            assertThatThrownBy(() -> VolumePlan.resolve(dataDir(), exports("name=a,size=1M,path=" + path)))
                    .as(path)
                    .isInstanceOf(IllegalArgumentException.class)
                    .hasMessageContaining("leaves the data directory")
                    .hasMessageContaining("give an absolute path");
        }
    }

    @Test
    void absolutePathsAreUsedAsGiven() {
        Path outside = tmp.resolve("elsewhere/../vol.img").toAbsolutePath();
        List<VolumePlan> plans = VolumePlan.resolve(dataDir(), exports("name=a,size=1M,path=" + outside));
        assertThat(plans.getFirst().file()).isEqualTo(tmp.toAbsolutePath().resolve("vol.img"));
    }

    @Test
    void sizeIsRequiredForANewFile() {
        assertThatThrownBy(() -> VolumePlan.resolve(dataDir(), exports("name=a")))
                .hasMessageContaining("export 'a'")
                .hasMessageContaining("does not exist yet, so size= is required");
    }

    @Test
    void anExistingFileKeepsItsSize() throws IOException {
        sparseFile(dataDir().resolve("a.img"), 3L << 20);
        assertThat(VolumePlan.resolve(dataDir(), exports("name=a")).getFirst())
                .extracting(VolumePlan::size, VolumePlan::create).containsExactly(3L << 20, false);
        assertThat(VolumePlan.resolve(dataDir(), exports("name=a,size=3M")).getFirst().size()).isEqualTo(3L << 20);
    }

    @Test
    void aSizeThatDiffersFromTheExistingFileIsAnError() throws IOException {
        sparseFile(dataDir().resolve("a.img"), 3L << 20);
        assertThatThrownBy(() -> VolumePlan.resolve(dataDir(), exports("name=a,size=4M")))
                .hasMessageContaining("size=4M but")
                .hasMessageContaining("already exists with 3145728 bytes (3M)")
                .hasMessageContaining("never resizes");
    }

    @Test
    void duplicateNamesAreRejected() {
        assertThatThrownBy(() -> VolumePlan.resolve(dataDir(), exports("name=a,size=1M", "name=a,size=1M,path=b.img")))
                .hasMessageContaining("export name 'a' is given twice");
    }

    @Test
    void twoExportsCannotShareAFile() {
        assertThatThrownBy(() -> VolumePlan.resolve(dataDir(), exports("name=a,size=1M", "name=b,size=1M,path=a.img")))
                .hasMessageContaining("exports 'a' and 'b' both use")
                .hasMessageContaining("each export needs its own file");
    }

    @Test
    void twoExportsCannotShareAFileThroughALink() throws IOException {
        sparseFile(dataDir().resolve("a.img"), 1 << 20);
        Files.createSymbolicLink(dataDir().resolve("link.img"), dataDir().resolve("a.img"));
        assertThatThrownBy(() -> VolumePlan.resolve(dataDir(), exports("name=a", "name=b,path=link.img")))
                .hasMessageContaining("are the same file");
    }

    @Test
    void readOnlyNeedsAnExistingFile() throws IOException {
        assertThatThrownBy(() -> VolumePlan.resolve(dataDir(), exports("name=a,size=1M,readonly")))
                .hasMessageContaining("export 'a' is read-only but")
                .hasMessageContaining("does not exist");
        sparseFile(dataDir().resolve("a.img"), 1 << 20);
        assertThat(VolumePlan.resolve(dataDir(), exports("name=a,readonly")).getFirst().config().readOnly()).isTrue();
    }

    @Test
    void aDirectoryOrAnEmptyFileCannotBeAVolume() throws IOException {
        Files.createDirectories(dataDir().resolve("d.img"));
        assertThatThrownBy(() -> VolumePlan.resolve(dataDir(), exports("name=d,size=1M")))
                .hasMessageContaining("exists but is not a regular file");
        Files.createFile(dataDir().resolve("e.img"));
        assertThatThrownBy(() -> VolumePlan.resolve(dataDir(), exports("name=e")))
                .hasMessageContaining("is empty");
    }

    @Test
    void resolvingChangesNothingOnDisk() {
        VolumePlan.resolve(dataDir(), exports("name=a,size=1M,path=sub/a.img"));
        assertThat(dataDir()).doesNotExist();
    }
}
