// Driving the page's mask editor in Chromium (e2e tests): image pixels to screen points, its
// range inputs, and a brush stroke over a rectangle.
import type { Page } from 'playwright-core';

/** A rectangle of image pixels, corners included. */
export interface PixelRect {
  x0: number;
  y0: number;
  x1: number;
  y1: number;
}

/** The screen point of an image pixel's centre in the open editor. */
export async function editorPoint(page: Page, x: number, y: number): Promise<[number, number]> {
  const r = await page.evaluate(() => {
    const c = document.querySelector('.editor canvas') as HTMLCanvasElement;
    const b = c.getBoundingClientRect();
    return { x: b.x, y: b.y, k: b.width / c.width };
  });
  return [r.x + (x + 0.5) * r.k, r.y + (y + 0.5) * r.k];
}

/** Sets one of the editor's range inputs (size, hard, tol) as a person dragging it would. */
export const setEditorRange = (page: Page, name: string, value: number) =>
  page.evaluate(
    ([n, v]) => {
      const input = document.querySelector(`.editor input[name=${n}]`) as HTMLInputElement;
      input.value = String(v);
      input.dispatchEvent(new Event('input'));
    },
    [name, value] as const,
  );

/** One brush stroke over the rectangle, row by row (a third of the brush apart), with the current tool. */
export async function brushRect(page: Page, r: PixelRect, size: number): Promise<void> {
  await page.mouse.move(...(await editorPoint(page, r.x0, r.y0)));
  await page.mouse.down();
  for (let y = r.y0, row = 0; y <= r.y1; y = Math.min(r.y1 + 1, y + size / 3), row++) {
    const yy = Math.min(y, r.y1);
    await page.mouse.move(...(await editorPoint(page, row % 2 ? r.x1 : r.x0, yy)), { steps: 4 });
    await page.mouse.move(...(await editorPoint(page, row % 2 ? r.x0 : r.x1, yy)), { steps: 8 });
  }
  await page.mouse.up();
}
