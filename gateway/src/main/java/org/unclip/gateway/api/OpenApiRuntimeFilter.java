package org.unclip.gateway.api;

import io.quarkus.runtime.configuration.MemorySize;
import io.quarkus.smallrye.openapi.OpenApiFilter;
import io.smallrye.config.SmallRyeConfig;
import java.math.BigDecimal;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import org.eclipse.microprofile.config.ConfigProvider;
import org.eclipse.microprofile.openapi.OASFactory;
import org.eclipse.microprofile.openapi.OASFilter;
import org.eclipse.microprofile.openapi.models.OpenAPI;
import org.eclipse.microprofile.openapi.models.Operation;
import org.eclipse.microprofile.openapi.models.PathItem;
import org.eclipse.microprofile.openapi.models.media.Schema;
import org.eclipse.microprofile.openapi.models.security.SecurityRequirement;
import org.eclipse.microprofile.openapi.models.security.SecurityScheme;
import org.unclip.gateway.config.GatewayConfig;

/**
 * Makes {@code /q/openapi} describe this server as it is configured, at startup: the limits the
 * parsers enforce ({@code unclip.api.max-images}, {@code max-frames}, {@code max-prompt-length},
 * {@code sizes}, {@code default-response-format}) replace the defaults written in {@link
 * ApiSchemas}; every operation with a body documents the 413 of its body limit ({@code
 * unclip.api.max-body-size} or {@code max-image-body-size}, see {@link RequestBodyLimit}); every
 * {@code /v1} operation documents the 403 of {@link CrossOrigin}; and the optional bearer API key is a security scheme,
 * required on the {@code /v1} operations when {@code unclip.api.keys} is set and optional
 * otherwise (the stored image URLs stay open either way).
 */
@OpenApiFilter(stages = OpenApiFilter.RunStage.RUNTIME_STARTUP)
public class OpenApiRuntimeFilter implements OASFilter {

    /** Name of the bearer-key security scheme in {@code components.securitySchemes}. */
    static final String API_KEY_SCHEME = "ApiKey";

    private final GatewayConfig config;
    private final Optional<MemorySize> maxBodySize;

    /** SmallRye OpenAPI makes its filters by reflection, at startup: the runtime configuration is there. */
    public OpenApiRuntimeFilter() {
        this(
                ConfigProvider.getConfig().unwrap(SmallRyeConfig.class).getConfigMapping(GatewayConfig.class),
                ConfigProvider.getConfig().getOptionalValue("quarkus.http.limits.max-body-size", MemorySize.class));
    }

    OpenApiRuntimeFilter(GatewayConfig config, Optional<MemorySize> maxBodySize) {
        this.config = config;
        this.maxBodySize = maxBodySize;
    }

    @Override
    public void filterOpenAPI(OpenAPI openAPI) {
        if (openAPI.getComponents() == null) {
            openAPI.setComponents(OASFactory.createComponents());
        }
        declareApiKey(openAPI);
        Map<String, Schema> schemas = openAPI.getComponents().getSchemas();
        if (schemas != null) {
            applyLimits(schemas);
        }
        if (openAPI.getPaths() != null && openAPI.getPaths().getPathItems() != null) {
            for (Map.Entry<String, PathItem> path : openAPI.getPaths().getPathItems().entrySet()) {
                Map<PathItem.HttpMethod, Operation> operations = path.getValue().getOperations();
                if (operations == null) {
                    continue;
                }
                for (Operation operation : operations.values()) {
                    secure(path.getKey(), operation);
                    documentBodyLimit(path.getKey(), operation);
                    documentCrossOrigin(path.getKey(), operation);
                }
            }
        }
    }

    private boolean keysConfigured() {
        return config.api().keys().orElse(List.of()).stream().anyMatch(k -> !k.isBlank());
    }

    private void declareApiKey(OpenAPI openAPI) {
        openAPI.getComponents()
                .addSecurityScheme(
                        API_KEY_SCHEME,
                        OASFactory.createSecurityScheme()
                                .type(SecurityScheme.Type.HTTP)
                                .scheme("bearer")
                                .description(
                                        "An API key as `Authorization: Bearer <key>`, as the OpenAI SDKs send it. "
                                                + (keysConfigured()
                                                        ? "This server requires one (`unclip.api.keys` is set); without it /v1 answers 401."
                                                        : "This server has no keys configured (`unclip.api.keys`), so it is optional "
                                                                + "and not checked.")));
    }

    /** Every {@code /v1} operation but the stored images, which browsers fetch without headers. */
    private void secure(String path, Operation operation) {
        if (!path.startsWith("/v1/") || path.startsWith("/v1/images/results/")) {
            return;
        }
        List<SecurityRequirement> security = new ArrayList<>();
        if (!keysConfigured()) {
            security.add(OASFactory.createSecurityRequirement()); // {}: no key needed
        }
        security.add(OASFactory.createSecurityRequirement().addScheme(API_KEY_SCHEME));
        operation.setSecurity(security);
    }

    private void documentBodyLimit(String path, Operation operation) {
        if (operation.getRequestBody() == null || operation.getResponses() == null) {
            return;
        }
        RequestBodyLimit.Limit limit = new RequestBodyLimit(config, maxBodySize).limitOf(path);
        operation.getResponses()
                .addAPIResponse(
                        "413",
                        OASFactory.createAPIResponse()
                                .description(
                                        "The body is larger than " + limit.bytes() + " bytes (" + RequestBodyLimit.describe(limit.bytes())
                                                + ", `" + limit.setting() + "`): `invalid_request_error`, code `"
                                                + RequestBodyLimit.CODE + "`.")
                                .content(
                                        OASFactory.createContent()
                                                .addMediaType(
                                                        "application/json",
                                                        OASFactory.createMediaType().schema(OASFactory.createSchema().ref("ErrorResponse")))));
    }

    /** Every {@code /v1} operation refuses the pages of other origins ({@link CrossOrigin}). */
    private static void documentCrossOrigin(String path, Operation operation) {
        if (!path.startsWith("/v1/") || operation.getResponses() == null) {
            return;
        }
        operation.getResponses()
                .addAPIResponse(
                        "403",
                        OASFactory.createAPIResponse()
                                .description(
                                        "Sent by a browser page of another origin (its `Origin` header is neither the gateway's own "
                                                + "nor allowed by `quarkus.http.cors.origins`): `invalid_request_error`, code `"
                                                + CrossOrigin.CODE + "`.")
                                .content(
                                        OASFactory.createContent()
                                                .addMediaType(
                                                        "application/json",
                                                        OASFactory.createMediaType().schema(OASFactory.createSchema().ref("ErrorResponse")))));
    }

    private void applyLimits(Map<String, Schema> schemas) {
        GatewayConfig.Api api = config.api();
        List<Object> sizes = new ArrayList<>();
        for (String label : api.sizes()) {
            ImageSize.parse(label).ifPresent(size -> sizes.add(size.label()));
        }
        String sizeText =
                "A square size this server allows (`unclip.api.sizes`): " + String.join(", ", sizes.stream().map(s -> "`" + s + "`").toList())
                        + (sizes.isEmpty() ? "" : "; `" + sizes.get(0) + "` by default.");
        for (String name :
                List.of(
                        "CreateImageRequest", "CreateImageVariationRequest", "CreateVariationJobRequest",
                        "CreateImageInterpolationRequest", "CreateImageTextDiffRequest")) {
            Schema schema = schemas.get(name);
            if (schema == null || schema.getProperties() == null) {
                continue;
            }
            Map<String, Schema> properties = schema.getProperties();
            property(properties, "n").ifPresent(n -> n.setMaximum(BigDecimal.valueOf(api.maxImages())));
            property(properties, "frames").ifPresent(frames -> frames.setMaximum(BigDecimal.valueOf(api.maxFrames())));
            property(properties, "size")
                    .ifPresent(
                            size -> {
                                size.setEnumeration(sizes);
                                size.setDefaultValue(sizes.isEmpty() ? null : sizes.get(0));
                                size.setDescription(sizeText);
                            });
            property(properties, "response_format")
                    .filter(format -> !name.equals("CreateVariationJobRequest"))
                    .ifPresent(format -> format.setDefaultValue(api.defaultResponseFormat()));
            for (String text : List.of("prompt", "from_text", "to_text")) {
                property(properties, text).ifPresent(prompt -> prompt.setMaxLength(api.maxPromptLength()));
            }
        }
        Schema endpoint = schemas.get("EmbeddingSource");
        if (endpoint != null && endpoint.getProperties() != null) {
            property(endpoint.getProperties(), "prompt").ifPresent(prompt -> prompt.setMaxLength(api.maxPromptLength()));
        }
    }

    private static Optional<Schema> property(Map<String, Schema> properties, String name) {
        return Optional.ofNullable(properties.get(name));
    }
}
