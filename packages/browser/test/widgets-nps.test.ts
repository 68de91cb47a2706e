import { afterEach, beforeEach, describe, expect, it, vi } from 'vitest';
import { createUptake, identify, init, type Uptake } from '../src/index.ts';
import { showNps } from '../src/nps.ts';
import { advance, events, HOST, useFakeService } from './support/service.ts';
import { $, $$, focused, key, prefer, serveWidget, shadow, useWidgetPage, widgetRequests } from './support/widgets.ts';

useFakeService();
useWidgetPage();

const QUESTION = 'How likely are you to recommend Acme to a friend or colleague?';
const eligible = { show: true, surveyId: 'nps', question: QUESTION, reason: 'eligible' };
const base = { writeKey: 'wk_1', host: HOST, userId: 'ada', userHash: 'ab12' };

let sdk: Uptake;
let opener: HTMLButtonElement;
beforeEach(() => {
  sdk = createUptake({ writeKey: 'wk_1', host: HOST, flushAt: 1 });
  sdk.identify('ada', {}, { userHash: 'ab12' });
  // Focus starts on a control of the host page, as when a user is working.
  opener = document.createElement('button');
  opener.textContent = 'Save';
  document.body.append(opener);
  opener.focus();
});
afterEach(async () => {
  // Let the last sends finish, so that they don't land in the next test.
  await advance(10);
  sdk.close();
});

const npsEvents = () => events().filter((event) => String(event.event).startsWith('$nps_'));
const radios = () => $$<HTMLButtonElement>('[role=radio]');
const checked = () => radios().findIndex((radio) => radio.getAttribute('aria-checked') == 'true');

/** Presses `name` on whatever has focus. */
const press = (name: string) => key(focused()!, name);

describe('NPS prompt', () => {
  it('asks the route as the user and renders an accessible dialog in a shadow root', async () => {
    serveWidget('nps', { ...eligible, surveyId: 'nps-q4' });
    const prompt = await showNps({ ...base, uptake: sdk, surveyId: 'nps-q4' });
    expect(prompt).toMatchObject({ shown: true, reason: 'eligible' });
    expect(widgetRequests).toEqual([
      { route: 'nps', query: { userId: 'ada', userHash: 'ab12', writeKey: 'wk_1', surveyId: 'nps-q4' }, authorization: null },
    ]);

    // Isolated: nothing of it in the light DOM, open shadow root with its own styles.
    const host = document.querySelector('[data-uptake-widget]')!;
    expect(host.children).toHaveLength(0);
    expect(shadow()!.querySelector('style')!.textContent).toContain(':host{all:initial}');

    const dialog = $('[role=dialog]');
    expect(dialog.getAttribute('aria-modal')).toBe('false');
    const title = shadow()!.getElementById(dialog.getAttribute('aria-labelledby')!)!;
    expect(title.textContent).toBe(QUESTION);
    const group = $('[role=radiogroup]');
    expect(group.getAttribute('aria-labelledby')).toBe('q');
    expect(shadow()!.getElementById(group.getAttribute('aria-describedby')!)!.textContent).toBe('0: Not at all likely10: Extremely likely');
    expect(radios().map((radio) => radio.textContent)).toEqual(['0', '1', '2', '3', '4', '5', '6', '7', '8', '9', '10']);
    expect(radios().every((radio) => radio.getAttribute('aria-checked') == 'false')).toBe(true);
    // Roving tabindex: the scale is one Tab stop.
    expect(radios().map((radio) => radio.tabIndex)).toEqual([0, -1, -1, -1, -1, -1, -1, -1, -1, -1, -1]);
    const comment = $<HTMLTextAreaElement>('textarea');
    expect(shadow()!.querySelector(`label[for=${comment.id}]`)!.textContent).toBe('What is the main reason for your score? (optional)');
    expect($('.x').getAttribute('aria-label')).toBe('Dismiss');
    expect($('[role=status]').getAttribute('aria-live')).toBe('polite');

    // Focus moved in, to the scale.
    expect(focused()).toBe(radios()[0]);
    expect(document.activeElement).toBe(host);
    await advance(10);
    expect(npsEvents()).toEqual([expect.objectContaining({ type: 'track', event: '$nps_shown', userId: 'ada', properties: { surveyId: 'nps-q4' } })]);
    expect(npsEvents()[0]!.context.userHash).toBe('ab12');
  });

  it('keyboard only: arrows choose 9, a comment, Send → $nps_response, a thank-you, focus back', async () => {
    serveWidget('nps', eligible);
    const prompt = await showNps({ ...base, uptake: sdk });
    const submit = $<HTMLButtonElement>('button[type=submit]');
    expect(submit.disabled).toBe(true);

    for (let i = 0; i < 9; i++) expect(press('ArrowRight').defaultPrevented).toBe(true);
    expect(checked()).toBe(9);
    expect(focused()).toBe(radios()[9]);
    expect(radios().map((radio) => radio.tabIndex).filter((index) => index == 0)).toHaveLength(1);
    expect(radios()[9]!.tabIndex).toBe(0);
    press('ArrowLeft');
    press('ArrowRight');
    expect(checked()).toBe(9);
    expect(submit.disabled).toBe(false);

    // Tab → the comment, then Tab → Send, then Enter (a button's Enter is its click).
    const comment = $<HTMLTextAreaElement>('textarea');
    comment.focus();
    comment.value = '  Fast reports  ';
    submit.focus();
    submit.click();

    expect($('h2').textContent).toBe('Thank you for your feedback!');
    expect(focused()).toBe($('h2'));
    expect($('.x').getAttribute('aria-label')).toBe('Close');
    await advance(100);
    expect($('[role=status]').textContent).toBe('Thank you for your feedback!');
    expect(npsEvents().map((event) => [event.event, event.properties])).toEqual([
      ['$nps_shown', { surveyId: 'nps' }],
      ['$nps_response', { surveyId: 'nps', score: 9, comment: 'Fast reports' }],
    ]);

    // The thank-you closes by itself; focus goes back to where the user was.
    await advance(4000);
    expect(shadow()).toBeNull();
    expect(document.activeElement).toBe(opener);
    await expect(prompt.closed).resolves.toBe('response');
  });

  it('Home, End and wrap-around move the choice as in a native radio group', async () => {
    serveWidget('nps', eligible);
    await showNps({ ...base, uptake: sdk });
    press('End');
    expect(checked()).toBe(10);
    press('ArrowDown');
    expect(checked()).toBe(0);
    press('ArrowUp');
    expect(checked()).toBe(10);
    press('Home');
    expect(checked()).toBe(0);
    expect(press('a').defaultPrevented).toBe(false);
    radios()[6]!.click();
    expect(checked()).toBe(6);
  });

  it('Escape dismisses: $nps_dismissed, gone, focus restored, and the key never reaches the page', async () => {
    serveWidget('nps', eligible);
    const pageKeys = vi.fn();
    document.addEventListener('keydown', pageKeys);
    const prompt = await showNps({ ...base, uptake: sdk });
    press('ArrowRight');
    press('Escape');
    document.removeEventListener('keydown', pageKeys);

    expect(pageKeys).not.toHaveBeenCalled();
    expect(shadow()).toBeNull();
    expect(document.activeElement).toBe(opener);
    await expect(prompt.closed).resolves.toBe('dismissed');
    await advance(10);
    expect(npsEvents().map((event) => [event.event, event.properties])).toEqual([
      ['$nps_shown', { surveyId: 'nps' }],
      ['$nps_dismissed', { surveyId: 'nps' }],
    ]);
  });

  it('the × button dismisses too; close() removes it without counting a dismissal', async () => {
    serveWidget('nps', eligible);
    await showNps({ ...base, uptake: sdk });
    $('.x').click();
    expect(shadow()).toBeNull();
    const second = await showNps({ ...base, uptake: sdk });
    second.close();
    expect(shadow()).toBeNull();
    await expect(second.closed).resolves.toBe('closed');
    await advance(10);
    expect(npsEvents().map((event) => event.event)).toEqual(['$nps_shown', '$nps_dismissed', '$nps_shown']);
  });

  it('asks detractors the follow-up question and sends its answer with the same score', async () => {
    serveWidget('nps', eligible);
    const prompt = await showNps({ ...base, uptake: sdk });
    radios()[3]!.click();
    $<HTMLButtonElement>('button[type=submit]').click();

    const followUp = $<HTMLTextAreaElement>('textarea');
    expect(shadow()!.querySelector(`label[for=${followUp.id}]`)!.textContent).toBe('What is the one thing we could do better?');
    expect(focused()).toBe(followUp);
    await advance(100);
    expect($('[role=status]').textContent).toBe('Thank you for your feedback! What is the one thing we could do better?');
    // No auto-close while a question is open.
    await advance(5000);
    expect(shadow()).not.toBeNull();
    followUp.value = 'Faster exports';
    $<HTMLButtonElement>('button[type=submit]').click();
    expect($$('textarea')).toHaveLength(0);
    expect($('h2').textContent).toBe('Thank you for your feedback!');
    press('Escape');
    expect(shadow()).toBeNull();
    await expect(prompt.closed).resolves.toBe('response');
    await advance(10);
    expect(npsEvents().map((event) => [event.event, event.properties])).toEqual([
      ['$nps_shown', { surveyId: 'nps' }],
      ['$nps_response', { surveyId: 'nps', score: 3 }],
      ['$nps_response', { surveyId: 'nps', score: 3, followUp: 'Faster exports' }],
    ]);
  });

  it('asks no follow-up of passives and promoters, nor when it is turned off', async () => {
    serveWidget('nps', eligible);
    await showNps({ ...base, uptake: sdk, thanksMs: 0 });
    radios()[7]!.click();
    $<HTMLButtonElement>('button[type=submit]').click();
    expect($$('textarea')).toHaveLength(0);
    await advance(10_000);
    expect(shadow()).not.toBeNull(); // thanksMs: 0 keeps the thank-you until closed
    $('.x').click();

    await showNps({ ...base, uptake: sdk, text: { followUp: '' } });
    radios()[0]!.click();
    $<HTMLButtonElement>('button[type=submit]').click();
    expect($$('textarea')).toHaveLength(0);
  });

  it('takes every text from options (another language)', async () => {
    serveWidget('nps', eligible);
    const text = {
      question: 'Quelle est la probabilité que vous recommandiez Acme ?',
      low: 'Pas du tout probable',
      high: 'Très probable',
      comment: 'Pourquoi ? (facultatif)',
      submit: 'Envoyer',
      dismiss: 'Fermer sans répondre',
      close: 'Fermer',
      thanks: 'Merci !',
      followUp: 'Que devrions-nous améliorer ?',
      followUpSubmit: 'Envoyer la réponse',
    };
    await showNps({ ...base, uptake: sdk, text });
    expect($('h2').textContent).toBe(text.question);
    expect($('#ends').textContent).toBe(`0: ${text.low}10: ${text.high}`);
    expect($('label').textContent).toBe(text.comment);
    expect($('button[type=submit]').textContent).toBe(text.submit);
    expect($('.x').getAttribute('aria-label')).toBe(text.dismiss);
    radios()[2]!.click();
    $<HTMLButtonElement>('button[type=submit]').click();
    expect($('h2').textContent).toBe(text.thanks);
    expect($('label').textContent).toBe(text.followUp);
    expect($('button[type=submit]').textContent).toBe(text.followUpSubmit);
    expect($('.x').getAttribute('aria-label')).toBe(text.close);
  });

  it('renders nothing and sends nothing when the service says no, or cannot be asked', async () => {
    serveWidget('nps', { show: false, surveyId: 'nps', question: QUESTION, reason: 'answered_recently' });
    const prompt = await showNps({ ...base, uptake: sdk });
    expect(prompt).toMatchObject({ shown: false, reason: 'answered_recently' });
    expect(shadow()).toBeNull();
    expect(document.activeElement).toBe(opener);

    serveWidget('nps', 401);
    expect(await showNps({ ...base, uptake: sdk })).toMatchObject({ shown: false, reason: 'error' });
    expect(shadow()).toBeNull();
    await advance(6000);
    expect(npsEvents()).toEqual([]);
  });

  it('follows reduced motion, the theme, and renders inline in a container', async () => {
    serveWidget('nps', eligible);
    prefer('(prefers-reduced-motion: reduce)', '(prefers-color-scheme: dark)');
    await showNps({ ...base, uptake: sdk });
    expect($('[role=dialog]').className).toBe('card dark reduced-motion');
    $('.x').click();

    prefer();
    await showNps({ ...base, uptake: sdk });
    expect($('[role=dialog]').className).toBe('card');
    $('.x').click();

    prefer('(prefers-color-scheme: dark)');
    const container = document.createElement('section');
    document.body.append(container);
    await showNps({ ...base, uptake: sdk, theme: 'light', container });
    expect(container.querySelector('[data-uptake-widget]')).not.toBeNull();
    expect($('[role=dialog]').className).toBe('card inline');
  });

  it('sends through the default instance when no instance is given', async () => {
    serveWidget('nps', eligible);
    init({ writeKey: 'wk_default', host: HOST, flushAt: 1 });
    identify('grace', {}, { userHash: 'cd34' });
    await showNps({ ...base, userId: 'grace', userHash: 'cd34' });
    radios()[10]!.click();
    $<HTMLButtonElement>('button[type=submit]').click();
    await advance(100);
    const response = events().find((event) => event.event == '$nps_response')!;
    expect(response).toMatchObject({ userId: 'grace', properties: { score: 10, surveyId: 'nps' }, context: { userHash: 'cd34' } });
  });
});
