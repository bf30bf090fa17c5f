/* Newsletter signup without leaving the page.
   Each form[data-signup] posts to Mailchimp as a plain form when JavaScript is off. Here it
   is sent instead to Mailchimp's post-json endpoint as JSONP (Mailchimp offers no CORS), and
   the answer is told to the reader in plain words through the form's aria-live status.
   Nothing is requested from Mailchimp before the reader submits. No dependencies.
   A signup is followed by a link to the site's own landing page (data-next), which says
   the same as the message. When Mailchimp demands a captcha (its reCAPTCHA setting), the
   reader is told why and, after a moment to hear it, taken to Mailchimp's hosted form
   (data-hosted) with the address and choices filled in; a link lets them go at once. */
(function () {
  "use strict";
  if (!window.FormData || !window.URLSearchParams) return; // the plain POST still works

  /* ?group=NAME (an event's signup link): tick that interest group. Without JS: nothing. */
  function preChoose(form) {
    var norm = function (text) { return String(text).replace(/\s+/g, " ").trim().toLowerCase(); };
    var wanted = norm(new URLSearchParams(window.location.search).get("group") || "");
    if (!wanted) return;
    Array.prototype.forEach.call(form.querySelectorAll(
      "fieldset:not(.consent) .choice input, select option"), function (el) {
      var option = el.tagName === "OPTION";
      if (el.value && norm(option ? el.text : el.parentNode.textContent) === wanted) {
        el[option ? "selected" : "checked"] = true;
      }
    });
  }

  var WORDS = {
    already: "This address is already subscribed: thank you! Our emails will keep coming.",
    tooMany: "There have been too many signup attempts for this address. Please wait a few minutes and try again.",
    invalid: "That email address does not look right. Please check it and try again.",
    network: "We could not reach the mailing list. Please check your connection and try again.",
    timeout: "The mailing list did not answer in time. Please try again in a moment.",
    unknown: "Sorry, that did not work. Please try again."
  };
  var calls = 0;
  var CAPTCHA_DELAY_MS = 4000; // time to read (or hear) why the page is about to change

  /* Mailchimp's message (HTML, often prefixed "0 - ") as a reader-friendly sentence. */
  function explain(msg) {
    var text = String(msg || "").replace(/<[^>]*>/g, " ").replace(/\s+/g, " ").trim()
      .replace(/^\d+ - /, "");
    if (/already subscribed/i.test(text)) return { text: WORDS.already };
    if (/too many/i.test(text)) return { text: WORDS.tooMany, error: true };
    if (/invalid|fake|single @|portion|enter a value/i.test(text)) {
      return { text: WORDS.invalid, error: true, email: true };
    }
    return { text: text || WORDS.unknown, error: true };
  }

  /* Load url&c=CALLBACK as a script; done({data}) once, or done({failure}) on error/timeout. */
  function jsonp(url, timeout, done) {
    var name = "signupAnswer" + Date.now().toString(36) + (calls += 1);
    var script = document.createElement("script");
    var finished = false;
    var timer = setTimeout(function () { finish({ failure: "timeout" }); }, timeout);
    function finish(result) {
      if (finished) return;
      finished = true;
      clearTimeout(timer);
      window[name] = function () {}; // an answer arriving late must not throw
      script.remove();
      done(result);
    }
    window[name] = function (data) { finish({ data: data }); };
    script.onerror = function () { finish({ failure: "network" }); };
    script.onload = function () { finish({ failure: "unknown" }); };
    script.src = url + "&c=" + name;
    document.head.appendChild(script);
  }

  function enhance(form) {
    var status = form.querySelector("[data-signup-status]");
    var button = form.querySelector("[type=submit]");
    var email = form.elements.EMAIL;
    var sending = false;
    var handedOver = false; // on the way to Mailchimp's hosted form (a captcha demand)

    function show(text, kind, href, linkText) {
      status.textContent = text;
      if (href && linkText) {
        var link = document.createElement("a");
        link.href = href;
        link.textContent = linkText;
        status.append(" ", link);
      }
      status.className = "status" + (kind ? " " + kind : "");
    }

    /* Mailchimp's hosted form with what the reader typed and ticked (not the bot trap). */
    function hostedForm() {
      var trap = form.querySelector(".signup-trap input");
      var query = new URLSearchParams();
      new FormData(form).forEach(function (value, name) {
        if (value !== "" && (!trap || name !== trap.name)) query.append(name, value);
      });
      return form.dataset.hosted + "&" + query.toString();
    }

    /* Back from Mailchimp's form (the page kept in the back/forward cache): usable again. */
    window.addEventListener("pageshow", function (event) {
      if (!event.persisted || !handedOver) return;
      handedOver = false;
      sending = false;
      button.disabled = false;
      show("");
    });

    form.addEventListener("submit", function (event) {
      event.preventDefault();
      if (sending) return;
      sending = true;
      button.disabled = true;
      form.setAttribute("aria-busy", "true");
      email.removeAttribute("aria-invalid");
      email.removeAttribute("aria-describedby");
      show(form.dataset.sending || "");
      var query = new URLSearchParams(new FormData(form)).toString();
      var url = form.action.replace("/subscribe/post?", "/subscribe/post-json?") + "&" + query;
      jsonp(url, Number(form.dataset.timeout) || 10000, function (result) {
        var answer;
        if (result.data && result.data.result === "error" && form.dataset.hosted
            && /captcha/i.test(String(result.data.msg))) {
          var hosted = hostedForm();
          form.removeAttribute("aria-busy"); // still sending: the button stays disabled
          show(form.dataset.captcha, "", hosted, form.dataset.captchaLink);
          status.focus();
          handedOver = true;
          setTimeout(function () { window.location.assign(hosted); }, CAPTCHA_DELAY_MS);
          return;
        }
        if (result.data && result.data.result === "success") {
          answer = { text: form.dataset.success || result.data.msg, next: form.dataset.next };
        } else if (result.data) {
          answer = explain(result.data.msg);
        } else {
          answer = { text: WORDS[result.failure] || WORDS.unknown, error: true };
        }
        sending = false;
        button.disabled = false;
        form.removeAttribute("aria-busy");
        show(answer.text, answer.error ? "error" : "success", answer.next,
          form.dataset.nextText);
        if (answer.email) {
          email.setAttribute("aria-invalid", "true");
          email.setAttribute("aria-describedby", status.id);
          email.focus();
        } else if (answer.error) {
          button.focus();
        } else {
          form.reset();
          status.focus();
        }
      });
    });
  }

  Array.prototype.forEach.call(document.querySelectorAll("form[data-signup]"), function (form) {
    if (form.dataset.signupReady) return; // the script may be included once per form
    form.dataset.signupReady = "yes";
    preChoose(form);
    enhance(form);
  });
}());
