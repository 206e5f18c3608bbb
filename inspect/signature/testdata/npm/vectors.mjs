// Signs and verifies webhook test vectors with each provider's own library,
// so inspect/signature's tests check hookscope against the code providers
// publish rather than against hookscope's reading of their docs.
//
// stdin:  {"sign": [{scheme, body, secret, timestamp?, id?}],
//          "verify": [{scheme, body, secret, headers}]}
// stdout: {"signed": [{headers}], "verified": [{ok, error}]}
//
// Shopify publishes no small library, so its vectors follow the Node.js
// example in Shopify's "Verify webhooks" docs (createHmac … digest('base64')).
import crypto from 'node:crypto';
import { sign as ghSign, verify as ghVerify } from '@octokit/webhooks-methods';
import { Webhook as StandardWebhook } from 'standardwebhooks';
import { Webhook as SvixWebhook } from 'svix';
import Stripe from 'stripe';

const stripe = new Stripe('sk_test_vectors_only');

async function sign(c) {
  const ts = c.timestamp ?? Math.floor(Date.now() / 1000);
  switch (c.scheme) {
    case 'github':
      return { 'X-Hub-Signature-256': await ghSign(c.secret, c.body) };
    case 'stripe':
      return { 'Stripe-Signature': stripe.webhooks.generateTestHeaderString({ payload: c.body, secret: c.secret, timestamp: ts }) };
    case 'standard-webhooks':
      return {
        'webhook-id': c.id,
        'webhook-timestamp': String(ts),
        'webhook-signature': new StandardWebhook(c.secret).sign(c.id, new Date(ts * 1000), c.body),
      };
    case 'svix':
      return {
        'svix-id': c.id,
        'svix-timestamp': String(ts),
        'svix-signature': new SvixWebhook(c.secret).sign(c.id, new Date(ts * 1000), c.body),
      };
    case 'shopify':
      return { 'X-Shopify-Hmac-Sha256': crypto.createHmac('sha256', c.secret).update(c.body, 'utf8').digest('base64') };
  }
  throw new Error('unknown scheme ' + c.scheme);
}

async function verify(c) {
  const h = Object.fromEntries(Object.entries(c.headers).map(([k, v]) => [k.toLowerCase(), v]));
  switch (c.scheme) {
    case 'github':
      return await ghVerify(c.secret, c.body, h['x-hub-signature-256']);
    case 'stripe':
      return stripe.webhooks.signature.verifyHeader(c.body, h['stripe-signature'], c.secret);
    case 'standard-webhooks':
      new StandardWebhook(c.secret).verify(c.body, h);
      return true;
    case 'svix':
      new SvixWebhook(c.secret).verify(c.body, h);
      return true;
    case 'shopify': {
      const calculated = crypto.createHmac('sha256', c.secret).update(c.body, 'utf8').digest('base64');
      const a = Buffer.from(calculated, 'base64');
      const b = Buffer.from(h['x-shopify-hmac-sha256'] ?? '', 'base64');
      return a.length === b.length && crypto.timingSafeEqual(a, b);
    }
  }
  throw new Error('unknown scheme ' + c.scheme);
}

let input = '';
for await (const chunk of process.stdin) input += chunk;
const req = JSON.parse(input);
const out = { signed: [], verified: [] };
for (const c of req.sign ?? []) out.signed.push({ headers: await sign(c) });
for (const c of req.verify ?? []) {
  try {
    out.verified.push({ ok: (await verify(c)) === true, error: '' });
  } catch (e) {
    out.verified.push({ ok: false, error: String(e.message).split('\n')[0] });
  }
}
process.stdout.write(JSON.stringify(out));
