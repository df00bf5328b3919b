import { CommandRegistry } from '@lumino/commands';
import { Menu } from '@lumino/widgets';

/** The class of a toolbar button that moves into the "More" menu when the panel is narrow. */
export const OVERFLOWS = 'jp-LittleWings-overflows';

/**
 * A "More" button at the end of a console's toolbar. In a narrow panel the style hides the
 * `movable` buttons (a container query of the console) and shows this one; its menu offers
 * each hidden button by its name, ticked when the button is pressed (Timestamps, Raw), and
 * runs it as a click would. Wide, the button is hidden and every action has its own.
 */
export function addOverflowMenu(
  bar: HTMLElement,
  movable: HTMLElement[]
): HTMLButtonElement {
  for (const button of movable) {
    button.classList.add(OVERFLOWS);
  }
  const more = document.createElement('button');
  more.type = 'button';
  more.className = 'jp-LittleWings-button jp-LittleWings-more';
  more.title = 'More actions';
  more.setAttribute('aria-label', 'More actions');
  more.setAttribute('aria-haspopup', 'menu');
  more.textContent = '⋯';
  more.addEventListener('click', () => {
    const commands = new CommandRegistry();
    const menu = new Menu({ commands });
    menu.addClass('jp-LittleWings-overflowMenu');
    bar
      .querySelectorAll<HTMLButtonElement>(`.${OVERFLOWS}`)
      .forEach((button, i) => {
        if (button.offsetParent !== null) {
          return; // shown in the toolbar: not in the menu
        }
        const id = `littlewings-overflow-${i}`;
        commands.addCommand(id, {
          label: button.getAttribute('aria-label') || button.title,
          caption: button.title,
          isToggled: () => button.getAttribute('aria-pressed') === 'true',
          isEnabled: () => !button.disabled,
          execute: () => button.click()
        });
        menu.addItem({ command: id });
      });
    menu.aboutToClose.connect(() => {
      // (After the item's command ran: the menu runs it once it closed.)
      window.setTimeout(() => menu.dispose(), 0);
    });
    const box = more.getBoundingClientRect();
    menu.open(box.left, box.bottom);
  });
  bar.appendChild(more);
  return more;
}
