-- drop: drop function if exists store.seed();
-- The shipped catalog and coin packs, upserted by slug / id: running it again updates names,
-- prices and data and never deletes anything (owned items stay owned, unlike the original,
-- which wiped every user's items). Returns how many items it wrote.
create or replace function store.seed()
returns integer
language plpgsql
volatile
as $$
declare
    v_count integer;
begin
    insert into store.items as i (slug, name, description, category, price_coins, data, featured)
    values
        ('theme-midnight', 'Midnight', 'Deep blue editor theme with soft contrast.', 'theme', 120, '{"palette": ["#0b1021", "#1f2a4a", "#7aa2f7"]}', true),
        ('theme-solar-flare', 'Solar Flare', 'Warm oranges for early risers.', 'theme', 120, '{"palette": ["#2b1b0e", "#ff8c42", "#ffd166"]}', false),
        ('theme-forest', 'Forest', 'Greens and browns, easy on the eyes.', 'theme', 100, '{"palette": ["#102418", "#2d6a4f", "#95d5b2"]}', false),
        ('theme-neon-grid', 'Neon Grid', 'Synthwave magenta on black.', 'theme', 200, '{"palette": ["#0d0221", "#ff00a0", "#00f0ff"]}', true),
        ('theme-paper', 'Paper', 'A light theme that reads like print.', 'theme', 80, '{"palette": ["#fbf8f1", "#3c3c3c", "#b5838d"]}', false),
        ('theme-void', 'Void', 'Pure black for the Void layer.', 'theme', 350, '{"palette": ["#000000", "#111111", "#8a2be2"], "layer": "CLX"}', false),
        ('font-fira-code', 'Fira Code', 'Monospace with ligatures.', 'font', 60, '{"family": "Fira Code"}', false),
        ('font-jetbrains-mono', 'JetBrains Mono', 'Tall x-height, clear shapes.', 'font', 60, '{"family": "JetBrains Mono"}', true),
        ('font-ibm-plex-mono', 'IBM Plex Mono', 'Corporate calm.', 'font', 50, '{"family": "IBM Plex Mono"}', false),
        ('font-victor-mono', 'Victor Mono', 'Cursive italics for comments.', 'font', 80, '{"family": "Victor Mono"}', false),
        ('font-press-start', 'Press Start', 'Pixel font for retro screens.', 'font', 90, '{"family": "Press Start 2P"}', false),
        ('font-space-grotesk', 'Space Grotesk', 'Geometric sans for headings.', 'font', 40, '{"family": "Space Grotesk"}', false),
        ('effect-matrix-rain', 'Matrix Rain', 'Green glyphs fall behind your profile.', 'effect', 250, '{"animation": "matrix"}', true),
        ('effect-sparkles', 'Sparkles', 'A light shimmer on level-up.', 'effect', 150, '{"animation": "sparkles"}', false),
        ('effect-glitch', 'Glitch', 'Chromatic aberration on hover.', 'effect', 180, '{"animation": "glitch"}', false),
        ('effect-aurora', 'Aurora', 'Slow northern lights.', 'effect', 220, '{"animation": "aurora"}', false),
        ('effect-embers', 'Embers', 'Rising sparks for streaks.', 'effect', 160, '{"animation": "embers"}', false),
        ('effect-scanlines', 'Scanlines', 'CRT lines over your card.', 'effect', 90, '{"animation": "scanlines"}', false),
        ('victory-confetti', 'Confetti', 'Classic burst of paper.', 'victory_animation', 100, '{"animation": "confetti"}', false),
        ('victory-fireworks', 'Fireworks', 'Night-sky celebration.', 'victory_animation', 200, '{"animation": "fireworks"}', true),
        ('victory-level-up-beam', 'Level-Up Beam', 'A column of light.', 'victory_animation', 180, '{"animation": "beam"}', false),
        ('victory-pixel-trophy', 'Pixel Trophy', 'An 8-bit trophy drops in.', 'victory_animation', 140, '{"animation": "trophy"}', false),
        ('victory-code-compiled', 'Compiled!', 'Green check and a build log.', 'victory_animation', 120, '{"animation": "compiled"}', false),
        ('victory-portal', 'Portal', 'Swirl into the next layer.', 'victory_animation', 260, '{"animation": "portal"}', false),
        ('title-early-bird', 'Early Bird', 'Shown under your name.', 'title', 50, '{"text": "Early Bird"}', false),
        ('title-bug-hunter', 'Bug Hunter', 'Shown under your name.', 'title', 80, '{"text": "Bug Hunter"}', false),
        ('title-marathoner', 'Marathoner', 'Shown under your name.', 'title', 80, '{"text": "Marathoner"}', false),
        ('title-void-walker', 'Void Walker', 'Shown under your name.', 'title', 300, '{"text": "Void Walker"}', false),
        ('frame-bronze', 'Bronze Frame', 'A warm ring around your avatar.', 'avatar_frame', 60, '{"color": "#cd7f32"}', false),
        ('frame-silver', 'Silver Frame', 'A cool ring around your avatar.', 'avatar_frame', 120, '{"color": "#c0c0c0"}', false),
        ('frame-gold', 'Gold Frame', 'For the top of the board.', 'avatar_frame', 250, '{"color": "#ffd700"}', true),
        ('frame-circuit', 'Circuit Frame', 'Traces light up on hover.', 'avatar_frame', 200, '{"pattern": "circuit"}', false),
        ('frame-flame', 'Flame Frame', 'For long streaks.', 'avatar_frame', 220, '{"pattern": "flame"}', false)
    on conflict (slug) do update set
        name = excluded.name, description = excluded.description, category = excluded.category,
        price_coins = excluded.price_coins, data = excluded.data, featured = excluded.featured, updated_at = now();
    get diagnostics v_count = row_count;
    insert into store.coin_packs (id, amount_paise, currency, coins)
    values ('pack-50', 4900, 'INR', 50), ('pack-100', 9900, 'INR', 100), ('pack-200', 19900, 'INR', 200),
           ('pack-500', 49900, 'INR', 500), ('pack-1000', 99900, 'INR', 1000), ('pack-2500', 199900, 'INR', 2500)
    on conflict (id) do update set amount_paise = excluded.amount_paise, currency = excluded.currency, coins = excluded.coins;
    return v_count;
end;
$$;
