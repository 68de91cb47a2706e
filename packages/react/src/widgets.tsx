import type { NpsOptions, WidgetHandle } from '@uptake/browser/nps';
import type { ProgressOptions } from '@uptake/browser/progress';
import { useRef, type ReactNode, type RefObject } from 'react';
import { useUptakeContext } from './hooks.js';
import { useLastingEffect } from './use-lasting-effect.js';

/** Props every widget component takes besides its options. */
type WidgetProps = {
  /**
   * Render the widget inside this component's own `<div>` (a block in the page) instead of as a
   * card fixed at the bottom right (the default).
   */
  inline?: boolean;
  /** Class of that `<div>` (with `inline`). */
  className?: string;
  /** Told whether the widget was shown and why (`handle.reason`); `handle.closed` resolves when it is gone. */
  onResult?: (handle: WidgetHandle) => void;
};

export type NpsPromptProps = Omit<NpsOptions, 'writeKey' | 'host' | 'uptake' | 'container'> & WidgetProps;
export type ProgressCardProps = Omit<ProgressOptions, 'writeKey' | 'host' | 'container'> & WidgetProps;

/**
 * Shows a widget of `@uptake/browser` while mounted: loads its entry (a dynamic import, so apps
 * download it only when they render the widget), asks the service, and closes it on unmount. It is
 * asked again when the user, account or survey changes; the other props are read when it is asked.
 */
const useWidget = (
  show: (container: Element | undefined) => Promise<WidgetHandle>,
  props: WidgetProps & { userId: string; userHash: string; accountId?: string; surveyId?: string },
): RefObject<HTMLDivElement | null> => {
  const slot = useRef<HTMLDivElement>(null);
  useLastingEffect(
    () => {
      let handle: WidgetHandle | undefined;
      let stopped = false;
      // The entry could not be downloaded (offline, a new deploy removed the old chunk): no widget, as when the service cannot be asked.
      const failed = (): WidgetHandle => ({ shown: false, reason: 'error', close: () => {}, closed: Promise.resolve('closed') });
      void show((props.inline && slot.current) || undefined)
        .catch(failed)
        .then((shown) => {
          handle = shown;
          if (stopped) shown.close();
          else props.onResult?.(shown);
        });
      return () => {
        stopped = true;
        handle?.close();
      };
    },
    JSON.stringify([props.userId, props.userHash, props.accountId, props.surveyId, props.inline === true]),
  );
  return slot;
};

/**
 * The NPS prompt of `@uptake/browser/nps` for the signed-in user: the service decides whether to
 * ask; its events go through the provider's instance. Loaded on first render, never before.
 *
 * @example
 * <NpsPrompt userId={user.id} userHash={user.uptakeHash} />
 */
export const NpsPrompt = ({ inline, className, onResult, ...options }: NpsPromptProps): ReactNode => {
  const { deferred, writeKey, host } = useUptakeContext('<NpsPrompt>');
  const slot = useWidget(
    async (container) => (await import('@uptake/browser/nps')).showNps({ ...options, writeKey, host, container, uptake: deferred.calls }),
    { ...options, inline, onResult },
  );
  return inline ? <div ref={slot} className={className} /> : null;
};

/**
 * The progress card of `@uptake/browser/progress` ("This month you created 42 reports…") for the
 * signed-in user. Loaded on first render, never before.
 *
 * @example
 * <ProgressCard userId={user.id} userHash={user.uptakeHash} inline />
 */
export const ProgressCard = ({ inline, className, onResult, ...options }: ProgressCardProps): ReactNode => {
  const { writeKey, host } = useUptakeContext('<ProgressCard>');
  const slot = useWidget(
    async (container) => (await import('@uptake/browser/progress')).showProgress({ ...options, writeKey, host, container }),
    { ...options, inline, onResult },
  );
  return inline ? <div ref={slot} className={className} /> : null;
};
