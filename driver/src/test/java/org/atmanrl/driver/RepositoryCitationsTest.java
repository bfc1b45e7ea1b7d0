package org.atmanrl.driver;

import static org.junit.jupiter.api.Assertions.assertTrue;

import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.FileVisitResult;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.SimpleFileVisitor;
import java.nio.file.attribute.BasicFileAttributes;
import java.util.ArrayList;
import java.util.HashSet;
import java.util.List;
import java.util.Set;
import java.util.regex.Matcher;
import java.util.regex.Pattern;
import org.junit.jupiter.api.Test;

/**
 * Every citation in the repository's sources and documents points at something the repository
 * holds (issue 17): no comment, message or document cites the design and stack notes that once
 * lived outside it, every {@code docs/<name>.md} it names exists, and every section of
 * docs/design.md it cites by number has that heading. A failure names each offending file:line.
 */
class RepositoryCitationsTest {
    /** Extensions of the files read: sources, build files, configs, scripts and documents. */
    private static final Set<String> EXTENSIONS =
            Set.of("java", "md", "yaml", "yml", "xml", "sh", "properties", "py", "options", "txt");
    /**
     * Citations of the notes outside the repository: the all-caps name of the design note (any use
     * of the word), the stack notes' file, and any path into the folder beside the checkout except
     * its test data (docs/design.md 5).
     */
    private static final Pattern OUTSIDE_NOTE =
            Pattern.compile("\\bDESIGN\\b|\\bSTACK\\.md\\b|\\.\\./shared/(?!data\\b)");
    private static final Pattern DOC_REFERENCE = Pattern.compile("\\bdocs/([A-Za-z0-9_.-]+\\.md)\\b");
    private static final Pattern DESIGN_SECTION = Pattern.compile("\\bdocs/design\\.md (\\d+(?:\\.\\d+)?)");
    private static final Pattern SECTION_HEADING = Pattern.compile("^###? (\\d+(?:\\.\\d+)?)[. ]");

    @Test
    void citationsPointInsideTheRepository() throws IOException {
        Path root = Path.of("..").toAbsolutePath().normalize();
        Path design = root.resolve("docs/design.md");
        assertTrue(Files.isRegularFile(root.resolve("pom.xml")) && Files.isRegularFile(design),
                "expected the repository root (with pom.xml and docs/design.md) at " + root);
        Set<String> sections = sections(design);

        List<String> faults = new ArrayList<>();
        int[] read = {0};
        Files.walkFileTree(root, new SimpleFileVisitor<>() {
            @Override
            public FileVisitResult preVisitDirectory(Path dir, BasicFileAttributes attrs) {
                String name = dir.getFileName() == null ? "" : dir.getFileName().toString();
                boolean skip = !dir.equals(root) && (name.equals("target") || name.startsWith("."));
                return skip ? FileVisitResult.SKIP_SUBTREE : FileVisitResult.CONTINUE;
            }

            @Override
            public FileVisitResult visitFile(Path file, BasicFileAttributes attrs) throws IOException {
                if (attrs.isRegularFile() && isSourceOrDocument(file)) {
                    check(root, file, sections, faults);
                    read[0]++;
                }
                return FileVisitResult.CONTINUE;
            }
        });
        assertTrue(read[0] > 100, "read only " + read[0] + " files under " + root);
        assertTrue(faults.isEmpty(), faults.size() + " citation(s) point outside the repository or nowhere:\n"
                + String.join("\n", faults));
    }

    private static void check(Path root, Path file, Set<String> sections, List<String> faults) throws IOException {
        String relative = root.relativize(file).toString().replace('\\', '/');
        List<String> lines = Files.readAllLines(file, StandardCharsets.UTF_8);
        for (int i = 0; i < lines.size(); i++) {
            String line = lines.get(i);
            String where = relative + ":" + (i + 1) + ": ";
            Matcher outside = OUTSIDE_NOTE.matcher(line);
            while (outside.find()) {
                faults.add(where + "cites '" + outside.group() + "', which is not in the repository;"
                        + " cite docs/design.md by section instead");
            }
            Matcher doc = DOC_REFERENCE.matcher(line);
            while (doc.find()) {
                if (!Files.isRegularFile(root.resolve("docs").resolve(doc.group(1)))) {
                    faults.add(where + "names " + doc.group() + ", which does not exist");
                }
            }
            Matcher section = DESIGN_SECTION.matcher(line);
            while (section.find()) {
                if (!sections.contains(section.group(1))) {
                    faults.add(where + "cites " + section.group() + ", a section docs/design.md does not have");
                }
            }
        }
    }

    /** The numbers of docs/design.md's sections: "2" for "## 2. ...", "2.2" for "### 2.2 ...". */
    private static Set<String> sections(Path design) throws IOException {
        Set<String> sections = new HashSet<>();
        for (String line : Files.readAllLines(design, StandardCharsets.UTF_8)) {
            Matcher m = SECTION_HEADING.matcher(line);
            if (m.find()) sections.add(m.group(1));
        }
        return sections;
    }

    private static boolean isSourceOrDocument(Path file) throws IOException {
        String name = file.getFileName().toString();
        int dot = name.lastIndexOf('.');
        if (dot > 0) return EXTENSIONS.contains(name.substring(dot + 1));
        if (name.equals("Dockerfile")) return true;
        if (dot == 0) return false;
        // An extensionless script (deploy/atmanrl): read it when it starts with a shebang.
        try (var in = Files.newInputStream(file)) {
            byte[] head = in.readNBytes(2);
            return head.length == 2 && head[0] == '#' && head[1] == '!';
        }
    }
}
