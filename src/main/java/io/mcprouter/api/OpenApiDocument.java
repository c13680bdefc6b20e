package io.mcprouter.api;

import akka.http.javadsl.model.ContentTypes;
import akka.http.javadsl.model.HttpEntities;
import akka.http.javadsl.model.HttpResponse;
import akka.http.javadsl.model.headers.CacheControl;
import akka.http.javadsl.model.headers.CacheDirectives;
import java.io.IOException;
import java.io.InputStream;
import java.io.UncheckedIOException;

/**
 * The OpenAPI 3.1 description of /v1, /admin and the health endpoints ({@code openapi.json}, a
 * resource of the jar, kept in {@code src/main/resources}), served at {@code GET /v1/openapi.json}.
 * Read once at start, on the thread that starts the router: serving it is then a copy of bytes in
 * memory.
 */
public final class OpenApiDocument {

  public static final String RESOURCE = "/openapi.json";

  private final byte[] json;

  private OpenApiDocument(byte[] json) {
    this.json = json;
  }

  /** The document from the classpath; a jar without it is a broken build, not a runtime state. */
  public static OpenApiDocument load() {
    try (InputStream in = OpenApiDocument.class.getResourceAsStream(RESOURCE)) {
      if (in == null) {
        throw new IllegalStateException("the jar has no " + RESOURCE);
      }
      return new OpenApiDocument(in.readAllBytes());
    } catch (IOException e) {
      throw new UncheckedIOException("cannot read " + RESOURCE + " from the jar", e);
    }
  }

  HttpResponse response() {
    return HttpResponse.create()
        .withEntity(HttpEntities.create(ContentTypes.APPLICATION_JSON, json))
        .addHeader(CacheControl.create(CacheDirectives.NO_CACHE));
  }
}
