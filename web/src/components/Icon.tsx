/** Small inline SVG icons, so nothing depends on the device having an emoji font. */
const PATHS = {
  heart: 'M12 21s-7.5-4.6-9.6-9.2C.9 8.4 3 4.5 6.6 4.5c2.1 0 3.6 1.2 4.4 2.6.8-1.4 2.3-2.6 4.4-2.6 3.6 0 5.7 3.9 4.2 7.3C19.5 16.4 12 21 12 21z',
  comment: 'M4 4h16a2 2 0 0 1 2 2v10a2 2 0 0 1-2 2H9l-5 4v-4H4a2 2 0 0 1-2-2V6a2 2 0 0 1 2-2z',
  share: 'M14 4l7 7-7 7v-4.1C8.5 13.9 5.3 15.6 3 20c.8-6.2 4.2-10.6 11-11.5V4z',
  home: 'M3 11l9-8 9 8v10a1 1 0 0 1-1 1h-5v-7H9v7H4a1 1 0 0 1-1-1V11z',
  search: 'M10.5 3a7.5 7.5 0 0 1 6 12l4.8 4.8-1.5 1.5-4.8-4.8A7.5 7.5 0 1 1 10.5 3zm0 2a5.5 5.5 0 1 0 0 11 5.5 5.5 0 0 0 0-11z',
  plus: 'M11 4h2v7h7v2h-7v7h-2v-7H4v-2h7z',
  cart: 'M3 3h2.6l.7 3H21l-2 8H8.1l.5 2H19v2H7l-2.8-13H3V3zm5 17a1.5 1.5 0 1 1 0 3 1.5 1.5 0 0 1 0-3zm9 0a1.5 1.5 0 1 1 0 3 1.5 1.5 0 0 1 0-3z',
  user: 'M12 3a4.5 4.5 0 1 1 0 9 4.5 4.5 0 0 1 0-9zm0 11c4.4 0 8 2.2 8 5v2H4v-2c0-2.8 3.6-5 8-5z',
  soundOff: 'M3 9h4l5-4v14l-5-4H3V9zm13.6.2L18 10.6l1.4-1.4 1.4 1.4-1.4 1.4 1.4 1.4-1.4 1.4-1.4-1.4-1.4 1.4-1.4-1.4 1.4-1.4-1.4-1.4z',
  soundOn: 'M3 9h4l5-4v14l-5-4H3V9zm12.5-1.5a6 6 0 0 1 0 9l-1.4-1.4a4 4 0 0 0 0-6.2l1.4-1.4zm2.8-2.8a10 10 0 0 1 0 14.6l-1.4-1.4a8 8 0 0 0 0-11.8l1.4-1.4z',
  info: 'M12 2a10 10 0 1 1 0 20 10 10 0 0 1 0-20zm-1 8v7h2v-7h-2zm0-3v2h2V7h-2z',
  play: 'M7 4l13 8-13 8V4z',
  bag: 'M6 7h12l1 14H5L6 7zm3 0a3 3 0 0 1 6 0h-2a1 1 0 0 0-2 0H9z',
  bell: 'M12 2a1.5 1.5 0 0 1 1.5 1.5v.6A6 6 0 0 1 18 10v5l2 2v1H4v-1l2-2v-5a6 6 0 0 1 4.5-5.9v-.6A1.5 1.5 0 0 1 12 2zm-2 17h4a2 2 0 0 1-4 0z',
} as const;

export type IconName = keyof typeof PATHS;

export function Icon({ name, size = 24 }: { name: IconName; size?: number }) {
  return (
    <svg width={size} height={size} viewBox="0 0 24 24" aria-hidden="true" focusable="false" className="icon-svg">
      <path d={PATHS[name]} fill="currentColor" />
    </svg>
  );
}
