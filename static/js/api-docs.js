// The API reference: Swagger UI over the app's own OpenAPI document (no inline script, so
// the Content Security Policy holds; no validator badge fetched from elsewhere).
window.addEventListener("DOMContentLoaded", function () {
  var root = document.getElementById("swagger-ui");
  window.SwaggerUIBundle({
    url: root.dataset.spec,
    domNode: root,
    deepLinking: true,
    validatorUrl: null,
    persistAuthorization: false,
    defaultModelsExpandDepth: 0,
  });
});
