// Passkeys and security keys (WebAuthn): the browser side of the ceremonies whose options the
// server gives (JSON) and whose answers it verifies. Without WebAuthn in the browser, the
// passkey parts of the page stay hidden and the code fields still work.
//
// <form data-passkey="create|get" data-passkey-options="URL">
//   <input type="hidden" data-passkey-response ...>  the browser's answer, as JSON, goes here
//   <p data-passkey-error hidden></p>                 where a failure is said
//   <button data-passkey-start>                       starts the ceremony, then sends the form
(function () {
  "use strict";

  function toBuffer(text) {
    var base64 = text.replace(/-/g, "+").replace(/_/g, "/");
    base64 += "=".repeat((4 - (base64.length % 4)) % 4);
    var binary = atob(base64);
    var bytes = new Uint8Array(binary.length);
    for (var i = 0; i < binary.length; i += 1) {
      bytes[i] = binary.charCodeAt(i);
    }
    return bytes.buffer;
  }

  function toText(buffer) {
    var bytes = new Uint8Array(buffer);
    var binary = "";
    for (var i = 0; i < bytes.length; i += 1) {
      binary += String.fromCharCode(bytes[i]);
    }
    return btoa(binary).replace(/\+/g, "-").replace(/\//g, "_").replace(/=+$/, "");
  }

  function creationOptions(json) {
    json.challenge = toBuffer(json.challenge);
    json.user.id = toBuffer(json.user.id);
    (json.excludeCredentials || []).forEach(function (c) { c.id = toBuffer(c.id); });
    return json;
  }

  function requestOptions(json) {
    json.challenge = toBuffer(json.challenge);
    (json.allowCredentials || []).forEach(function (c) { c.id = toBuffer(c.id); });
    return json;
  }

  function credentialJSON(credential) {
    var response = credential.response;
    var out = {
      id: credential.id,
      rawId: toText(credential.rawId),
      type: credential.type,
      clientExtensionResults: credential.getClientExtensionResults ? credential.getClientExtensionResults() : {},
      response: { clientDataJSON: toText(response.clientDataJSON) }
    };
    if (credential.authenticatorAttachment) {
      out.authenticatorAttachment = credential.authenticatorAttachment;
    }
    if (response.attestationObject) {
      out.response.attestationObject = toText(response.attestationObject);
      out.response.transports = response.getTransports ? response.getTransports() : [];
    } else {
      out.response.authenticatorData = toText(response.authenticatorData);
      out.response.signature = toText(response.signature);
      out.response.userHandle = response.userHandle ? toText(response.userHandle) : null;
    }
    return out;
  }

  function say(form, message) {
    var place = form.querySelector("[data-passkey-error]");
    if (place) {
      place.textContent = message;
      place.hidden = false;
    }
  }

  function run(form) {
    var mode = form.getAttribute("data-passkey");
    var token = form.querySelector('input[name$="csrf_token"]');
    var failed = form.getAttribute("data-passkey-failed") || "";
    if (mode === "create") {
      var fields = form.querySelectorAll("input[required]:not([type=hidden])");
      for (var i = 0; i < fields.length; i += 1) {
        if (!fields[i].value) {
          fields[i].focus();
          return; // let the person fill the form first; the server checks again anyway
        }
      }
    }
    fetch(form.getAttribute("data-passkey-options"), {
      method: "POST",
      credentials: "same-origin",
      headers: { "Accept": "application/json", "X-CSRFToken": token ? token.value : "" }
    })
      .then(function (answer) {
        return answer.json().then(function (json) {
          if (!answer.ok) {
            throw new Error(json.error || failed);
          }
          return json;
        });
      })
      .then(function (json) {
        if (mode === "create") {
          return navigator.credentials.create({ publicKey: creationOptions(json) });
        }
        return navigator.credentials.get({ publicKey: requestOptions(json) });
      })
      .then(function (credential) {
        form.querySelector("[data-passkey-response]").value = JSON.stringify(credentialJSON(credential));
        // Not form.submit(): a field named "submit" hides that method.
        HTMLFormElement.prototype.submit.call(form);
      })
      .catch(function (error) {
        say(form, error && error.name === "Error" && error.message ? error.message : failed);
      });
  }

  if (!window.PublicKeyCredential || !navigator.credentials) {
    return;
  }
  document.querySelectorAll("[data-passkey-only]").forEach(function (element) {
    element.hidden = false;
  });
  document.querySelectorAll("[data-passkey-unsupported]").forEach(function (element) {
    element.hidden = true;
  });
  document.querySelectorAll("form[data-passkey]").forEach(function (form) {
    form.querySelectorAll("[data-passkey-start]").forEach(function (button) {
      button.addEventListener("click", function (event) {
        event.preventDefault();
        run(form);
      });
    });
  });
})();
