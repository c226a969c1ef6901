package org.diffsweep.features;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertTrue;

import com.fasterxml.jackson.databind.ObjectMapper;
import java.io.ByteArrayInputStream;
import java.nio.file.Path;
import org.junit.jupiter.api.Test;

/** What a detector file says of itself, and the protocol and header that follow from it and its hash. */
class DetectorProtocolTest {

    static Path resource(String name) throws Exception {
        return Path.of(DetectorProtocolTest.class.getResource(name).toURI());
    }

    static DetectorFile built(String json) throws Exception {
        return new DetectorFile(DetectorFile.Kind.TORCHSCRIPT, DetectorFile.Call.FEATURES,
                new ObjectMapper().readTree(json));
    }

    @Test
    void filesAreToldApartByTheirBytes() throws Exception {
        DetectorFile weights = DetectorFile.inspect(resource("/models/tiny_weights.pth"));
        assertEquals(DetectorFile.Kind.WEIGHTS, weights.kind());
        assertTrue(weights.refusal("detector w.pth").contains("build_pytorch_fid.py"), weights.refusal("w"));
        DetectorFile plain = DetectorFile.inspect(resource("/models/tiny_features.pt"));
        assertEquals(DetectorFile.Kind.TORCHSCRIPT, plain.kind());
        assertEquals(DetectorFile.Call.FEATURES, plain.call());
        assertEquals(0, plain.dim());
        assertNull(plain.refusal("x"));
        DetectorFile nvidia = DetectorFile.inspect(resource("/detectors/standin-tiny.pt"));
        assertEquals(DetectorFile.Call.RETURN_FEATURES, nvidia.call());
        assertEquals(2048, nvidia.dim());
        DetectorFile dino = DetectorFile.inspect(resource("/detectors/dinov2-tiny.pt"));
        assertEquals("edm2-dinov2", dino.metadata().path("protocol").asText());
        assertEquals(24, dino.dim());
        DetectorFile text = DetectorFile.inspect(new ByteArrayInputStream("not a network\n".getBytes()));
        assertEquals(DetectorFile.Kind.OTHER, text.kind());
        assertTrue(text.refusal("detector n.pkl").contains("pkl_to_pt.py"));
    }

    @Test
    void onlyPublishedHashesMakeAStandardProtocol() throws Exception {
        DetectorProtocol pf = DetectorProtocol.of("ab", built("{\"protocol\": \"pytorch-fid\", \"dim\": 2048,"
                + " \"source\": \"pt_inception-2015-12-05-6726825d.pth\", \"source_sha256\": \"6726825d" + "0".repeat(56)
                + "\"}")); // a made-up hash with pytorch-fid's published prefix
        assertEquals(DetectorProtocol.Status.STANDARD, pf.status());
        assertEquals("FID (pytorch-fid (pt_inception-2015-12-05-6726825d.pth))", pf.header("x.pt@ab"));
        DetectorProtocol other = DetectorProtocol.of("ab", built("{\"protocol\": \"pytorch-fid\","
                + " \"source\": \"mine.pth\", \"source_sha256\": \"0123456789abcdef\"}"));
        assertEquals(DetectorProtocol.Status.INTERFACE, other.status());
        assertTrue(other.header("x.pt@ab").contains("weights unverified"), other.header("x.pt@ab"));
        assertTrue(other.note().contains("not pytorch-fid's"), other.note());
        DetectorProtocol dino = DetectorProtocol.of("ab", built("{\"protocol\": \"edm2-dinov2\", \"dim\": 1024}"));
        assertEquals("FD_DINOv2", dino.metric());
        assertEquals(DetectorProtocol.Status.INTERFACE, dino.status());
        assertTrue(!dino.note().contains("not ViT-L/14"), dino.note());
        DetectorProtocol small = DetectorProtocol.of("ab", built("{\"protocol\": \"edm2-dinov2\", \"dim\": 384}"));
        assertTrue(small.note().contains("384 features, not ViT-L/14's 1024"), small.note());
        DetectorProtocol nvidia = DetectorProtocol.of("cd",
                new DetectorFile(DetectorFile.Kind.TORCHSCRIPT, DetectorFile.Call.RETURN_FEATURES, null));
        assertEquals(DetectorProtocol.Status.INTERFACE, nvidia.status());
        assertTrue(nvidia.provenance("inception-2015-12-05.pt", "cd").contains("legacy_tensorflow"));
        DetectorProtocol unknown = DetectorProtocol.of("ef", DetectorFile.inspect(resource("/models/tiny_features.pt")));
        assertEquals(DetectorProtocol.Status.UNKNOWN, unknown.status());
        assertEquals("FID (f.pt@ef: not a standard detector)", unknown.header("f.pt@ef"));
    }
}
