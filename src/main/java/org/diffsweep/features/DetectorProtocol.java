package org.diffsweep.features;

import com.fasterxml.jackson.databind.JsonNode;
import java.util.Locale;
import java.util.Map;

/**
 * Which published protocol a detector's numbers follow, for table headers and provenance lines. A number is called
 * comparable with published ones ({@link Status#STANDARD}) only when the file's hash, or the hash of the weight file
 * a tools/detectors builder recorded in it, is one the projects that use it publish:
 * <ul>
 *   <li>pytorch-fid's {@code pt_inception-2015-12-05-6726825d.pth}: pytorch-fid's {@code FID_WEIGHTS_URL}
 *       (src/pytorch_fid/inception.py) names it, and torch.hub's file-name convention puts the first 8 hex digits
 *       of the file's SHA-256 after the last '-', so a weight file whose SHA-256 starts with {@code 6726825d} is
 *       pytorch-fid's. torch-fidelity's {@code weights-inception-2015-12-05-6726825d.pth} carries the same prefix.</li>
 *   <li>NVIDIA's {@code inception-2015-12-05.pt} / {@code .pkl} and Meta's {@code dinov2_vitl14_pretrain.pth}:
 *       clean-fid, EDM, EDM2, StyleGAN3 and dinov2's hub code fetch them by URL without a published hash, so
 *       {@link #KNOWN} lists none of them; such files are recognised by interface and recorded by their own hash
 *       ({@link Status#INTERFACE}), and the header says the weights are unverified.</li>
 * </ul>
 *
 * @param metric   what the distance is called: {@code FID}, or {@code FD_DINOv2} for DINOv2 features
 * @param protocol the published protocol the detector's code path follows, or null
 * @param status   how far the file is known
 * @param note     one sentence for the provenance
 */
public record DetectorProtocol(String metric, String protocol, Status status, String note) {

    /** How far a detector file is known. */
    public enum Status {
        /** Its hash (or its weights' hash) is a published one: the numbers are comparable with that protocol's. */
        STANDARD,
        /** Its code path is a protocol's, its weights are not verified against a published hash. */
        INTERFACE,
        /** Neither: its numbers are comparable only with numbers of the same file. */
        UNKNOWN
    }

    /**
     * Full SHA-256 of standard detector files that the reference code publishes, with their protocol. Empty: no
     * project that uses NVIDIA's or Meta's files publishes their full hash (see the class comment).
     */
    static final Map<String, String[]> KNOWN = Map.of();

    /** pytorch-fid's FID Inception weights, by the SHA-256 prefix in its published file name. */
    static final String PYTORCH_FID_WEIGHTS_PREFIX = "6726825d";

    static final String NVIDIA = "EDM / StyleGAN / clean-fid legacy_tensorflow (NVIDIA inception-2015-12-05)";
    static final String PYTORCH_FID = "pytorch-fid (pt_inception-2015-12-05-6726825d.pth)";
    static final String DINOV2 = "EDM2 FD_DINOv2 (DINOv2 ViT-L/14, bicubic antialiased 224, ImageNet mean/std)";

    /**
     * The protocol of a detector file.
     *
     * @param sha256 the file's SHA-256 (null if not resolved)
     * @param file   what the file says of itself, or null (an ONNX file, or not inspected)
     */
    public static DetectorProtocol of(String sha256, DetectorFile file) {
        String hash = sha256 == null ? null : sha256.toLowerCase(Locale.ROOT);
        if (hash != null && KNOWN.containsKey(hash)) {
            String[] k = KNOWN.get(hash);
            return new DetectorProtocol(k[0], k[1], Status.STANDARD, "a published standard file (" + k[2] + ")");
        }
        JsonNode meta = file == null ? null : file.metadata();
        String declared = meta == null ? "" : meta.path("protocol").asText("");
        String source = meta == null ? null : meta.path("source").asText(null);
        String sourceHash = meta == null ? null : meta.path("source_sha256").asText(null);
        String weights = source == null ? "unnamed weights" : source + (sourceHash == null ? " (unhashed)"
                : " (sha256 " + sourceHash.substring(0, Math.min(12, sourceHash.length())) + ")");
        switch (declared) {
            case "pytorch-fid" -> {
                boolean standard = sourceHash != null && sourceHash.startsWith(PYTORCH_FID_WEIGHTS_PREFIX);
                return new DetectorProtocol("FID", PYTORCH_FID, standard ? Status.STANDARD : Status.INTERFACE,
                        standard ? "pytorch-fid's architecture and preprocessing built from its published weights "
                                + weights : "pytorch-fid's architecture and preprocessing, but the weights " + weights
                                + " are not pytorch-fid's (SHA-256 prefix " + PYTORCH_FID_WEIGHTS_PREFIX + ")");
            }
            case "edm2-dinov2" -> {
                int dim = meta.path("dim").asInt(0);
                return new DetectorProtocol("FD_DINOv2", DINOV2, Status.INTERFACE, "EDM2's DINOv2 preprocessing"
                        + " on dinov2's own ViT built from " + weights + (dim == 1024 ? "" : " with " + dim
                        + " features, not ViT-L/14's 1024") + "; Meta publishes no hash of"
                        + " dinov2_vitl14_pretrain.pth, so the weights are not verified");
            }
            case "nvidia-inception" -> {
                return new DetectorProtocol("FID", NVIDIA, Status.INTERFACE, "converted from " + weights
                        + "; NVIDIA publishes no hash of it, so the weights are not verified");
            }
            default -> {
            }
        }
        if (file != null && file.call() == DetectorFile.Call.RETURN_FEATURES) {
            return new DetectorProtocol("FID", NVIDIA, Status.INTERFACE, "NVIDIA's inception-2015-12-05 interface"
                    + " (forward(img, return_features=True)); comparable with EDM/StyleGAN/clean-fid"
                    + " legacy_tensorflow numbers only if this is NVIDIA's file, whose SHA-256 is not published");
        }
        return new DetectorProtocol("FID", null, Status.UNKNOWN, "not a known standard detector: its numbers are"
                + " comparable only with numbers of the same file");
    }

    /**
     * A table column's header: the metric and the detector, with what the numbers are comparable with, e.g.
     * {@code FID (pytorch-fid (pt_inception-2015-12-05-6726825d.pth))} or
     * {@code FID (fmnist-features.pt@1a2b3c4d5e6f: not a standard detector)}.
     *
     * @param id the detector's identity ({@code name@hash12})
     */
    public String header(String id) {
        return switch (status) {
            case STANDARD -> metric + " (" + protocol + ")";
            case INTERFACE -> metric + " (" + id + ": " + protocol + " code path, weights unverified)";
            case UNKNOWN -> metric + " (" + id + ": not a standard detector)";
        };
    }

    /** One provenance line: the detector by name and full hash, and what its numbers are comparable with. */
    public String provenance(String name, String sha256) {
        return "detector " + name + " (sha256 " + sha256 + "): " + metric + ", " + switch (status) {
            case STANDARD -> "comparable with published " + protocol + " numbers: " + note;
            case INTERFACE -> protocol + " code path: " + note;
            case UNKNOWN -> note;
        };
    }
}
