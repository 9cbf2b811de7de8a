package org.unclip.gateway.api;

import java.io.ByteArrayOutputStream;
import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.util.Map;
import java.util.TreeMap;
import org.jboss.resteasy.reactive.RestForm;
import org.jboss.resteasy.reactive.multipart.FileUpload;

/**
 * The multipart/form-data fields of a variation, as OpenAI's {@code POST /v1/images/variations}
 * takes them (plus this server's extensions); read by that endpoint and by a multipart {@code POST
 * /v1/jobs}. Validation is {@link VariationRequestParser}'s.
 */
public class VariationForm {

    @RestForm("image")
    FileUpload image;

    @RestForm("n")
    String n;

    @RestForm("size")
    String size;

    @RestForm("response_format")
    String responseFormat;

    @RestForm("model")
    String model;

    @RestForm("user")
    String user;

    @RestForm("seed")
    String seed;

    @RestForm("decoder_steps")
    String decoderSteps;

    @RestForm("upsampler_steps")
    String upsamplerSteps;

    @RestForm("decoder_guidance_scale")
    String decoderGuidanceScale;

    /** The text fields that were sent, by name, in name order. */
    Map<String, String> fields() {
        Map<String, String> fields = new TreeMap<>();
        String[][] named = {
            {"n", n}, {"size", size}, {"response_format", responseFormat}, {"model", model}, {"user", user}, {"seed", seed},
            {"decoder_steps", decoderSteps}, {"upsampler_steps", upsamplerSteps}, {"decoder_guidance_scale", decoderGuidanceScale}
        };
        for (String[] field : named) {
            if (field[1] != null) {
                fields.put(field[0], field[1]);
            }
        }
        return fields;
    }

    /** The {@code image} file part, or null when the form has none. */
    VariationRequestParser.ImageSource image() {
        if (image == null || image.uploadedFile() == null) {
            return null;
        }
        return new VariationRequestParser.ImageSource() {
            @Override
            public long size() {
                return image.size();
            }

            @Override
            public byte[] bytes() {
                try {
                    return Files.readAllBytes(image.uploadedFile());
                } catch (IOException e) {
                    throw new UncheckedIOException(e);
                }
            }
        };
    }

    /** The request in a canonical form for its Idempotency-Key: the text fields, then the image. */
    static byte[] fingerprint(Map<String, String> fields, byte[] png) {
        ByteArrayOutputStream out = new ByteArrayOutputStream();
        out.writeBytes(new TreeMap<>(fields).toString().getBytes(StandardCharsets.UTF_8));
        out.writeBytes(png);
        return out.toByteArray();
    }
}
