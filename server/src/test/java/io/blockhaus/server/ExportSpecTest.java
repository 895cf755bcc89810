package io.blockhaus.server;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import io.blockhaus.engine.IoMode;
import io.blockhaus.tls.AllowList;
import io.blockhaus.engine.VolumeConfig;
import io.blockhaus.engine.lock.LockPolicy;
import java.nio.file.Path;
import java.util.Optional;
import java.util.OptionalLong;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.CsvSource;
import org.junit.jupiter.params.provider.ValueSource;

class ExportSpecTest {

    @Test
    void nameAloneTakesEveryDefault() {
        ExportSpec spec = ExportSpec.parse("name=disk1");
        assertThat(spec).isEqualTo(ExportSpec.named("disk1"));
        assertThat(spec.size()).isEmpty();
        assertThat(spec.path()).isEmpty();
        assertThat(spec.readOnly()).isFalse();
        assertThat(spec.io()).isEqualTo(IoMode.BUFFERED);
        assertThat(spec.lock()).isEqualTo(LockPolicy.TWO_STATE);
        assertThat(spec.pageSize()).isEqualTo(4096);
        assertThat(spec.bypassBytes()).isEqualTo(256 << 10);
        assertThat(ExportSpec.parse("name=a,bypass=off").toVolumeConfig().bypassBytes()).isZero();
        assertThat(ExportSpec.parse("name=a,bypass=off").toString()).endsWith(",bypass=off");
    }

    @Test
    void parsesEveryKeyInAnyOrder() {
        ExportSpec spec = ExportSpec.parse(
                "bypass=1M,page-size=16K,lock=range,io=direct,readonly,path=/srv/a.img,size=2G,name=a_b-1.x");
        assertThat(spec).isEqualTo(new ExportSpec("a_b-1.x", OptionalLong.of(2L << 30), Optional.of(Path.of("/srv/a.img")),
                true, IoMode.DIRECT, LockPolicy.RANGE, 16384, 1 << 20));
    }

    @Test
    void allowNamesTheIdentitiesThatMayOpenTheExportAndSurvivesToString() {
        ExportSpec spec = ExportSpec.parse("name=a,allow=alice;host.example.com");
        assertThat(spec.allow()).isEqualTo(AllowList.parse("host.example.com;alice"));
        assertThat(ExportSpec.parse(spec.toString())).isEqualTo(spec);
        assertThat(ExportSpec.parse("name=a").allow()).isEqualTo(AllowList.ANYONE);
        assertThat(ExportSpec.parse("name=a").toString()).doesNotContain("allow");
    }

    @Test
    void mapsToTheEngineVolumeConfig() {
        VolumeConfig config = ExportSpec.parse("name=v,size=1M,io=direct,lock=range,page-size=512,readonly").toVolumeConfig();
        assertThat(config).isEqualTo(VolumeConfig.of("v").withIo(IoMode.DIRECT).withLockPolicy(LockPolicy.RANGE)
                .withPageSize(512).withReadOnly(true));
    }

    @Test
    void toStringParsesBackToTheSameSpec() {
        for (String text : new String[] {"name=a", "name=b,size=1536M,path=x/y.img,readonly,io=direct,lock=range,page-size=64K"}) {
            ExportSpec spec = ExportSpec.parse(text);
            assertThat(ExportSpec.parse(spec.toString())).isEqualTo(spec);
        }
    }

    @ParameterizedTest
    @CsvSource(delimiter = '|', value = {
        "name=a,colour=red              | unknown key 'colour' (known keys: name, size, path, readonly, io, lock, page-size, bypass, allow, store, bucket, prefix, object-size)",
        "name=a,Size=1G                 | unknown key 'Size'",
        "name=a,size=1G,size=2G         | key 'size' given twice",
        "name=a,name=b                  | key 'name' given twice",
        "name=a,readonly,readonly       | key 'readonly' given twice",
        "size=1G                        | missing name=NAME",
        "readonly                       | missing name=NAME",
        "name=a,size=lots               | invalid size 'lots'",
        "name=a,size=-1G                | invalid size '-1G': sizes cannot be negative",
        "name=a,size=0                  | size must be greater than zero",
        "name=a,size=99999999999T       | too large",
        "name=.hidden                   | invalid name '.hidden'",
        "name=a/b                       | invalid name 'a/b'",
        "name=..                        | invalid name '..'",
        "name=a b                       | invalid name 'a b'",
        "name=ä                         | invalid name 'ä'",
        "name=                          | key 'name' needs a value, e.g. name=disk1",
        "name                           | key 'name' needs a value",
        "name=a,size=                   | key 'size' needs a value, e.g. size=1G",
        "name=a,path=                   | key 'path' needs a value",
        "name=a,readonly=true           | 'readonly' takes no value",
        "name=a,io=mmap                 | unknown io mode 'mmap' (expected buffered or direct)",
        "name=a,lock=none               | unknown lock policy 'none' (expected two-state or range)",
        "name=a,page-size=1000          | page size '1000' must be a power of two from 512 to 64K",
        "name=a,page-size=128K          | page size '128K' must be a power of two from 512 to 64K",
        "name=a,page-size=256           | must be a power of two from 512 to 64K",
        "name=a,,size=1G                | empty item",
        "name=a,                        | empty item",
        ",name=a                        | empty item",
        "name=a,store=s3,bucket=bk1,path=x.img | path= names a file, but store=s3 keeps the volume in a bucket: drop one of them",
        "name=a,path=x.img,store=s3,bucket=bk1 | path= names a file, but store=s3 keeps the volume in a bucket",
        "name=a,bucket=bk1               | bucket= is for volumes in object storage: add store=s3, or drop bucket=",
        "name=a,store=file,bucket=bk1    | bucket= is for volumes in object storage",
        "name=a,prefix=p/               | prefix= is for volumes in object storage",
        "name=a,object-size=1M          | object-size= is for volumes in object storage",
        "name=a,store=s3                | store=s3 needs bucket=BUCKET",
        "name=a,store=nfs               | store 'nfs' must be file or s3",
        "name=a,store=s3,bucket=B1      | invalid bucket name 'B1'",
        "name=a,store=s3,bucket=ab      | invalid bucket name 'ab'",
        "name=a,store=s3,bucket=-ab     | invalid bucket name '-ab'",
        "name=a,store=s3,bucket=a_b     | invalid bucket name 'a_b'",
        "name=a,store=s3,bucket=bk1,object-size=3M   | object size '3M' must be a power of two of at most 64M",
        "name=a,store=s3,bucket=bk1,object-size=128M | object size '128M' must be a power of two of at most 64M",
        "name=a,store=s3,bucket=bk1,object-size=8K,page-size=16K | object size 8K is smaller than the page size 16K",
    })
    void rejectsWithAClearMessage(String text, String why) {
        assertThatThrownBy(() -> ExportSpec.parse(text))
                .isInstanceOf(IllegalArgumentException.class)
                .hasMessageContaining(why)
                .hasMessageEndingWith("in '" + text + "'");
    }

    @Test
    void storeS3PutsTheVolumeInABucketWithDefaults() {
        ExportSpec spec = ExportSpec.parse("name=vol,store=s3,bucket=my-bucket.1,size=10G");
        assertThat(spec.s3()).contains(new S3Export("my-bucket.1", "", 4 << 20));
        assertThat(spec.path()).isEmpty();
        assertThat(spec.s3().get().root("vol")).isEqualTo("vol/");
        assertThat(spec.s3().get().describe("vol")).isEqualTo("s3://my-bucket.1/vol/");
        ExportSpec full = ExportSpec.parse("object-size=64K,prefix=team/a/,bucket=b12,store=s3,name=v,readonly,page-size=8K");
        assertThat(full.s3()).contains(new S3Export("b12", "team/a/", 64 << 10));
        assertThat(full.s3().get().root("v")).isEqualTo("team/a/v/");
        assertThat(full.readOnly()).isTrue();
        assertThat(ExportSpec.parse("name=a,store=file")).isEqualTo(ExportSpec.named("a"));
        for (ExportSpec s : new ExportSpec[] {spec, full}) {
            assertThat(ExportSpec.parse(s.toString())).isEqualTo(s);
        }
        assertThat(ExportSpec.parse("name=a,store=s3,bucket=b12,object-size=64M").s3().get().objectSize()).isEqualTo(64 << 20);
    }

    @Test
    void rejectsANameLongerThan255() {
        String ok = "n".repeat(255);
        assertThat(ExportSpec.parse("name=" + ok).name()).isEqualTo(ok);
        assertThatThrownBy(() -> ExportSpec.parse("name=" + ok + "n")).hasMessageContaining("invalid name");
    }

    @ParameterizedTest
    @ValueSource(strings = {"", " "})
    void rejectsAnEmptySpec(String text) {
        assertThatThrownBy(() -> ExportSpec.parse(text)).hasMessageContaining("empty export");
    }

    @Test
    void rejectsAPathWithANulByte() {
        assertThatThrownBy(() -> ExportSpec.parse("name=a,path=x\0y")).hasMessageContaining("invalid path");
    }

    @Test
    void recordChecksItsOwnInvariants() {
        assertThatThrownBy(() -> ExportSpec.named("../etc")).hasMessageContaining("invalid export name");
        assertThatThrownBy(() -> new ExportSpec("a", OptionalLong.of(0), Optional.empty(), false, IoMode.BUFFERED,
                LockPolicy.TWO_STATE, 4096, 0)).hasMessageContaining("greater than zero");
        assertThatThrownBy(() -> new ExportSpec("a", OptionalLong.empty(), Optional.empty(), false, IoMode.BUFFERED,
                LockPolicy.TWO_STATE, 3000, 0)).hasMessageContaining("power of two");
        assertThatThrownBy(() -> ExportSpec.parse("name=a,bypass=2G")).hasMessageContaining("at most 1G");
        assertThatThrownBy(() -> ExportSpec.parse("name=a,bypass=lots")).hasMessageContaining("bypass=lots");
    }
}
