// Builds the list of operations of static/api/index.html from the API's OpenAPI document.
// No library and no inline script (the site's Content-Security-Policy allows neither).
"use strict";

(function () {
  const status = document.getElementById("api-status");
  const target = document.getElementById("api-operations");

  function element(tag, text) {
    const node = document.createElement(tag);
    if (text !== undefined) node.textContent = text;
    return node;
  }

  function typeOf(schema) {
    if (!schema) return "";
    if (schema.enum) return schema.enum.join(" | ");
    if (schema.pattern) return (schema.type || "") + " " + schema.pattern;
    const type = Array.isArray(schema.type) ? schema.type.join(" | ") : schema.type || "";
    const range = [];
    if (schema.minimum !== undefined) range.push("≥ " + schema.minimum);
    if (schema.maximum !== undefined) range.push("≤ " + schema.maximum);
    return range.length ? type + " (" + range.join(", ") + ")" : type;
  }

  function operationSection(path, method, operation, shared) {
    const section = element("section");
    const heading = element("h3");
    heading.append(element("code", method.toUpperCase() + " " + path));
    section.append(heading);
    if (operation.summary) section.append(element("p", operation.summary));
    if (operation.description) section.append(element("p", operation.description));
    const parameters = (shared || []).concat(operation.parameters || []);
    if (parameters.length) {
      const table = element("table");
      const caption = element("caption", "Parameters");
      table.append(caption);
      const head = element("tr");
      ["Name", "In", "Type", "Description"].forEach((label) => {
        const cell = element("th", label);
        cell.scope = "col";
        head.append(cell);
      });
      table.append(head);
      parameters.forEach((parameter) => {
        const row = element("tr");
        row.append(element("td", parameter.name + (parameter.required ? " (required)" : "")));
        row.append(element("td", parameter.in));
        row.append(element("td", typeOf(parameter.schema)));
        row.append(element("td", parameter.description || (parameter.schema && parameter.schema.description) || ""));
        table.append(row);
      });
      section.append(table);
    }
    const answers = element("p", "Answers: " + Object.keys(operation.responses || {}).sort().join(", "));
    section.append(answers);
    return section;
  }

  const url = new URL("../../api/v1/openapi.json", document.baseURI);
  fetch(url, { credentials: "omit", headers: { Accept: "application/json" } })
    .then((response) => {
      if (!response.ok) throw new Error("HTTP " + response.status);
      return response.json();
    })
    .then((spec) => {
      status.textContent = spec.info.title + " " + spec.info.version + " (OpenAPI " + spec.openapi + ")";
      Object.entries(spec.paths).forEach(([path, item]) => {
        ["get"].forEach((method) => {
          if (item[method]) target.append(operationSection(path, method, item[method], item.parameters));
        });
      });
    })
    .catch((error) => {
      status.textContent = "The OpenAPI document could not be loaded (" + error.message + ").";
    });
})();
