package org.atmanrl.driver.inspect;

import org.apache.hadoop.conf.Configuration;
import org.apache.hadoop.fs.FileSystem;
import org.apache.hadoop.fs.Path;
import org.atmanrl.model.io.HadoopFiles;
import picocli.CommandLine.Option;

/** {@code --model DIR}: a Hugging Face model directory on any Hadoop file system. */
final class ModelDirOption {
    @Option(names = "--model", required = true, paramLabel = "DIR",
            description = "Load the model from DIR, a Hugging Face model directory (config.json, the safetensors"
                    + " files, tokenizer.json) on a local path or any Hadoop URI (file://, hdfs://, s3a://).")
    String dir;

    Path path() {
        return new Path(dir);
    }

    FileSystem fileSystem() {
        return HadoopFiles.fileSystem(path(), new Configuration());
    }
}
