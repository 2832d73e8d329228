// GET /v1.0/account in remove.bg's shape. Nothing is counted here: the balance is a large constant
// that never decreases, so clients that check for credits before calling go ahead (JSON has no
// "unlimited"; a number is what its clients parse). X-Credits-Charged is always 0.
export const UNLIMITED_CREDITS = 1_000_000;

export const ACCOUNT_EXAMPLE = {
  data: {
    attributes: {
      credits: { total: UNLIMITED_CREDITS, subscription: UNLIMITED_CREDITS, payg: 0, enterprise: 0 },
      api: { free_calls: UNLIMITED_CREDITS, sizes: 'all' },
    },
  },
};

export const accountBody = () => structuredClone(ACCOUNT_EXAMPLE);
