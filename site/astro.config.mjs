// The lesson site: Starlight (sidebar, search, dark mode, English + Simplified Chinese) over MDX
// lessons. Built into site/dist and served by labs/web with the lab API; nothing comes from a CDN.
import starlight from '@astrojs/starlight';
import { defineConfig } from 'astro/config';
import { runtimeCss } from './runtime-css.mjs';

export default defineConfig({
  site: 'http://127.0.0.1:4321',
  outDir: './dist',
  trailingSlash: 'always',
  vite: { plugins: [runtimeCss()] },
  integrations: [
    starlight({
      title: { en: 'svc-labs', 'zh-CN': 'svc-labs' },
      description: 'Troubleshoot Kubernetes Service networking on live labs',
      defaultLocale: 'root',
      locales: {
        root: { label: 'English', lang: 'en' },
        'zh-cn': { label: '简体中文', lang: 'zh-CN' },
      },
      customCss: ['./src/styles/lab.css'],
      sidebar: [
        {
          label: 'Foundations',
          translations: { 'zh-CN': '基础' },
          items: [
            { slug: 'lessons/services-clusterip' },
            { slug: 'lessons/service-types' },
            { slug: 'lessons/kube-proxy-modes' },
            { slug: 'lessons/service-dns' },
            { slug: 'lessons/troubleshooting-method' },
          ],
        },
        {
          label: 'Incident labs',
          translations: { 'zh-CN': '故障实验' },
          items: [
            { slug: 'lessons/flannel-wrong-iface' },
            { slug: 'lessons/service-route-src' },
            { slug: 'lessons/hairpin-off' },
            { slug: 'lessons/no-endpoints' },
          ],
        },
      ],
      pagination: true,
      lastUpdated: false,
    }),
  ],
});
