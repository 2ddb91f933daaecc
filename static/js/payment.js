// The card payment page: Stripe's card form, then Stripe confirms the payment (3-D Secure included)
// and the shopper comes back to the return page, which asks Stripe whether the order is paid.
//
// With Stripe.js itself this is the Payment Element and stripe.confirmPayment. A Stripe.js without
// the Payment Element (a Stripe-compatible test server's) offers a card form and tokens instead: the
// card becomes a payment method that the shop confirms on its server, and a card that asks for
// 3-D Secure is then authenticated with stripe.confirmCardPayment.
(function () {
  "use strict";
  const form = document.getElementById("payment-form");
  if (!form) return;
  const errorBox = document.getElementById("payment-error");
  const button = document.getElementById("pay-button");
  const loading = document.getElementById("payment-loading");
  const returnUrl = new URL(form.dataset.returnUrl, window.location.href).href;

  function showError(text) {
    errorBox.textContent = text;
    errorBox.hidden = false;
    button.disabled = false;
  }

  if (typeof Stripe !== "function") {
    showError("The card form could not be loaded from Stripe. Check your connection and reload this page, or cancel the order.");
    button.disabled = true;
    return;
  }
  const stripe = Stripe(form.dataset.publishableKey);
  const clientSecret = form.dataset.clientSecret;
  const hasPaymentElement = typeof stripe.confirmPayment === "function";
  let elements;
  let card;
  if (loading) loading.remove();
  if (hasPaymentElement) {
    elements = stripe.elements({ clientSecret: clientSecret });
    elements.create("payment").mount("#payment-element");
  } else {
    elements = stripe.elements();
    card = elements.create("card");
    card.mount("#payment-element");
  }

  async function payWithPaymentElement() {
    const result = await stripe.confirmPayment({ elements: elements, confirmParams: { return_url: returnUrl } });
    // Only reached when Stripe did not redirect: an incomplete form can be fixed here; anything
    // else (a declined card) is settled by the return page, which reads the payment from Stripe.
    if (result.error && result.error.type === "validation_error") {
      showError(result.error.message);
      return;
    }
    window.location.assign(returnUrl);
  }

  async function payWithCardToken() {
    let created;
    try {
      created = await stripe.createToken(card);
    } catch (err) {
      showError("Enter the card number, expiry date and security code.");
      return;
    }
    if (!created || created.error || !created.token) {
      showError((created && created.error && created.error.message) || "Check the card details and try again.");
      return;
    }
    const csrf = form.querySelector("input[name=csrfmiddlewaretoken]").value;
    const response = await fetch(form.dataset.confirmUrl, {
      method: "POST",
      credentials: "same-origin",
      headers: { "Content-Type": "application/json", "X-CSRFToken": csrf },
      body: JSON.stringify({ payment_method: created.token.card.id }),
    });
    const body = await response.json().catch(function () { return {}; });
    if (!response.ok) {
      showError(body.message || "The payment could not be made. Try again in a moment.");
      return;
    }
    if (body.status === "requires_action") {
      await stripe.confirmCardPayment(clientSecret);
    }
    window.location.assign(returnUrl);
  }

  form.addEventListener("submit", function (event) {
    event.preventDefault();
    button.disabled = true;
    errorBox.hidden = true;
    const pay = hasPaymentElement ? payWithPaymentElement : payWithCardToken;
    pay().catch(function () {
      showError("The payment could not be sent. Check your connection and try again.");
    });
  });
})();
