package org.diffsweep.features;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import java.io.IOException;
import java.io.InputStream;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.regex.Pattern;
import org.apache.commons.compress.archivers.zip.ZipArchiveEntry;
import org.apache.commons.compress.archivers.zip.ZipArchiveInputStream;

/**
 * What a detector file is, read from its bytes without loading it: PyTorch writes TorchScript networks
 * ({@code torch.jit.save}) and plain weight files ({@code torch.save}, e.g. pytorch-fid's {@code .pth}) as zip
 * archives, but only a TorchScript archive holds the network's code ({@code <archive>/code/...py}). The code says
 * how the network is called: NVIDIA's {@code inception-2015-12-05.pt} declares
 * {@code forward(img, return_features: bool = False, use_fp16: bool = False, no_output_bias: bool = False)}. The
 * detectors tools/detectors/ builds carry their provenance as {@code <archive>/extra/diffsweep.json}.
 *
 * @param kind     {@link Kind#TORCHSCRIPT}, {@link Kind#WEIGHTS} (a zip without code), {@link Kind#ONNX} (by its
 *                 name; ONNX files are not inspected), {@link Kind#OTHER}
 * @param call     how to get features: {@link Call#FEATURES} ({@code forward(img) -> [B, D]}) or
 *                 {@link Call#RETURN_FEATURES} ({@code forward(img, return_features=True)}, NVIDIA's interface)
 * @param metadata the builder's {@code extra/diffsweep.json}, or null
 */
public record DetectorFile(Kind kind, Call call, JsonNode metadata) {

    /** What the bytes are. */
    public enum Kind { TORCHSCRIPT, WEIGHTS, ONNX, OTHER }

    /** How features are asked for. */
    public enum Call { FEATURES, RETURN_FEATURES }

    /** The name of the builders' metadata entry (torch.jit.save's {@code _extra_files}). */
    public static final String METADATA = "diffsweep.json";

    /** NVIDIA's feature switch as TorchScript prints a forward's parameters. */
    private static final Pattern RETURN_FEATURES = Pattern.compile(
            "def forward\\(self[^)]*\\breturn_features: bool", Pattern.DOTALL);

    /** The feature dimension the file states: its metadata's {@code dim}, 2048 for NVIDIA's interface, else 0. */
    public int dim() {
        if (metadata != null && metadata.path("dim").canConvertToInt() && metadata.path("dim").intValue() > 0) {
            return metadata.path("dim").intValue();
        }
        return call == Call.RETURN_FEATURES ? 2048 : 0;
    }

    /** Reads a local file. */
    public static DetectorFile inspect(Path file) throws IOException {
        if (file.getFileName().toString().toLowerCase(java.util.Locale.ROOT).endsWith(".onnx")) {
            return new DetectorFile(Kind.ONNX, Call.FEATURES, null);
        }
        try (InputStream in = Files.newInputStream(file)) {
            return inspect(in);
        }
    }

    /**
     * Reads a file's bytes (a zip archive is read entry by entry; nothing is kept but code and metadata). PyTorch
     * stores its entries uncompressed with data descriptors, which java.util.zip's stream reader refuses; commons
     * compress reads them.
     */
    public static DetectorFile inspect(InputStream in) throws IOException {
        boolean any = false;
        boolean code = false;
        boolean nvidia = false;
        JsonNode meta = null;
        try (ZipArchiveInputStream zip = new ZipArchiveInputStream(in, "UTF-8", false, true)) {
            for (ZipArchiveEntry e; (e = zip.getNextEntry()) != null; ) {
                any = true;
                String name = e.getName();
                int slash = name.indexOf('/');
                String inner = slash < 0 ? name : name.substring(slash + 1);
                if (inner.startsWith("code/") && inner.endsWith(".py")) {
                    code = true;
                    if (!nvidia) {
                        nvidia = RETURN_FEATURES.matcher(new String(zip.readAllBytes(), StandardCharsets.UTF_8)).find();
                    }
                } else if (inner.equals("extra/" + METADATA)) {
                    meta = new ObjectMapper().readTree(zip.readAllBytes());
                }
            }
        } catch (java.util.zip.ZipException | IllegalArgumentException e) {
            return new DetectorFile(Kind.OTHER, Call.FEATURES, null);
        }
        if (!any) {
            return new DetectorFile(Kind.OTHER, Call.FEATURES, null);
        }
        if (!code) {
            return new DetectorFile(Kind.WEIGHTS, Call.FEATURES, meta);
        }
        Call call = nvidia ? Call.RETURN_FEATURES : Call.FEATURES;
        if (meta != null && "return-features".equals(meta.path("call").asText())) {
            call = Call.RETURN_FEATURES;
        }
        return new DetectorFile(Kind.TORCHSCRIPT, call, meta);
    }

    /**
     * Why this file cannot be a detector as it is, or null: a weight file (state dict) names the builder to run, a
     * file that is neither TorchScript nor ONNX says so.
     *
     * @param label how the message names the file
     */
    public String refusal(String label) {
        return switch (kind) {
            case WEIGHTS -> label + " is a weight file (torch.save, no network code), expected a TorchScript detector:"
                    + " build one from it with tools/detectors/build_pytorch_fid.py (pytorch-fid's"
                    + " pt_inception-2015-12-05-*.pth) or tools/detectors/build_dinov2.py (dinov2_vitl14 weights)";
            case OTHER -> label + " is not a TorchScript archive (torch.jit.save), expected a TorchScript .pt or an"
                    + " .onnx detector" + (label.endsWith(".pkl") ? "; convert NVIDIA's inception-2015-12-05.pkl"
                    + " with tools/detectors/pkl_to_pt.py" : "");
            default -> null;
        };
    }
}
