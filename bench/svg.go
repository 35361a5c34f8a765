package main

import (
	"fmt"
	"html"
	"math"
	"strings"
)

// The chart is plain SVG written by hand: grouped bars, one panel per
// kind of figure, one colour per client, so that the README can show it
// without any plotting tool on the machine.

var peerColors = map[string]string{
	"amiko":    "#d62728",
	"openssh":  "#1f77b4",
	"xssh":     "#2ca02c",
	"paramiko": "#9467bd",
}

type panel struct {
	title  string
	groups []string
	values [][]float64 // [group][peer], NaN where there is no figure
	format string      // for the value labels
}

const (
	svgWidth    = 960
	panelHeight = 250
	marginLeft  = 60
	marginRight = 20
	marginTop   = 40
	marginBot   = 50
)

func (r *results) panels() []panel {
	var ps []panel
	for _, link := range []string{"loopback", "50ms"} {
		p := panel{title: "Throughput, " + map[string]string{"loopback": "loopback", "50ms": "50 ms RTT"}[link] + " (MB/s, higher is better)", format: "%.0f"}
		for _, dir := range []string{"download", "upload"} {
			for _, c := range ciphers {
				var row []float64
				any := false
				for _, peer := range peers {
					t, ok := r.transfer(link, dir, c.label(), peer.name)
					if ok {
						row = append(row, t.MBps)
						any = true
					} else {
						row = append(row, math.NaN())
					}
				}
				if any {
					p.groups = append(p.groups, dir+" "+c.label())
					p.values = append(p.values, row)
				}
			}
		}
		if len(p.groups) > 0 {
			ps = append(ps, p)
		}
	}
	cpu := panel{title: "Client CPU per GB on loopback (s, lower is better)", format: "%.2f"}
	for _, dir := range []string{"download", "upload"} {
		for _, c := range ciphers {
			var row []float64
			any := false
			for _, peer := range peers {
				t, ok := r.transferRow("loopback", dir, c.label(), peer.name)
				if v := t.cpuPerGB(); ok && v > 0 {
					row = append(row, v)
					any = true
				} else {
					row = append(row, math.NaN())
				}
			}
			if any {
				cpu.groups = append(cpu.groups, dir+" "+c.label())
				cpu.values = append(cpu.values, row)
			}
		}
	}
	if len(cpu.groups) > 0 {
		// After the loopback throughput panel.
		ps = append(ps[:1], append([]panel{cpu}, ps[1:]...)...)
	}
	if len(r.SFTP) > 0 {
		p := panel{title: "SFTP (MB/s, higher is better; OpenSSH: sftp, x/crypto: pkg/sftp)", format: "%.0f"}
		for _, dir := range []string{"download", "upload"} {
			var row []float64
			for _, peer := range peers {
				if t, ok := r.sftp(dir, peer.name); ok {
					row = append(row, t.MBps)
				} else {
					row = append(row, math.NaN())
				}
			}
			p.groups = append(p.groups, "SFTP "+dir)
			p.values = append(p.values, row)
		}
		ps = append(ps, p)
	}
	for _, k := range []struct {
		title, format string
		get           func(connectRow) float64
	}{
		{"Round trips to connect, authenticate and run a command (fewer is better)", "%.1f", func(c connectRow) float64 { return c.RoundTrips }},
		{"Connect+auth+exec on loopback (ms, lower is better)", "%.1f", func(c connectRow) float64 { return c.Loopback.MedianMS }},
		{"Client CPU per connection (ms, lower is better)", "%.1f", func(c connectRow) float64 { return c.Loopback.CPUMS }},
	} {
		p := panel{title: k.title, format: k.format}
		for _, server := range []string{"dropbear", "xssh"} {
			var row []float64
			any := false
			for _, peer := range peers {
				if c, ok := r.connect(server, peer.name); ok {
					row = append(row, k.get(c))
					any = true
				} else {
					row = append(row, math.NaN())
				}
			}
			if any {
				p.groups = append(p.groups, "against "+map[string]string{"dropbear": "dropbear", "xssh": "x/crypto/ssh server"}[server])
				p.values = append(p.values, row)
			}
		}
		if len(p.groups) > 0 {
			ps = append(ps, p)
		}
	}
	for _, k := range []struct {
		title, format string
		get           func(fanoutRow) float64
	}{
		{"Memory of one idle connection (KiB of RSS, lower is better)", "%.1f", func(f fanoutRow) float64 { return f.RSSPerConnKB }},
		{"Goroutines of one idle connection (fewer is better)", "%.2f", func(f fanoutRow) float64 { return f.GoroutinesPerConn }},
	} {
		if len(r.Fanout) == 0 {
			break
		}
		var row []float64
		for _, peer := range peers {
			if f, ok := r.fanout(peer.name); ok {
				row = append(row, k.get(f))
			} else {
				row = append(row, math.NaN())
			}
		}
		ps = append(ps, panel{title: k.title, format: k.format,
			groups: []string{fmt.Sprintf("%d connections, averaged", r.Settings.Fanout)}, values: [][]float64{row}})
	}
	return ps
}

func (r *results) svg() string {
	ps := r.panels()
	height := 70 + len(ps)*panelHeight
	var b strings.Builder
	fmt.Fprintf(&b, `<svg xmlns="http://www.w3.org/2000/svg" width="%d" height="%d" viewBox="0 0 %d %d" font-family="sans-serif" font-size="12">`+"\n",
		svgWidth, height, svgWidth, height)
	fmt.Fprintf(&b, `<rect width="100%%" height="100%%" fill="white"/>`+"\n")
	fmt.Fprintf(&b, `<text x="%d" y="22" font-size="15" font-weight="bold">%s</text>`+"\n", marginLeft,
		esc(fmt.Sprintf("amiko vs other SSH clients, same run, same servers (%s mode, %s, %d CPUs)", r.Mode, r.Date[:10], r.Machine.CPUs)))
	// The legend.
	x := marginLeft
	for _, p := range peers {
		fmt.Fprintf(&b, `<rect x="%d" y="36" width="12" height="12" fill="%s"/><text x="%d" y="46">%s</text>`+"\n",
			x, peerColors[p.name], x+16, esc(p.label))
		x += 30 + 8*len(p.label)
	}
	for i, p := range ps {
		p.draw(&b, 60+i*panelHeight)
	}
	b.WriteString("</svg>\n")
	return b.String()
}

func (p panel) draw(b *strings.Builder, top int) {
	plotTop := top + marginTop
	plotH := panelHeight - marginTop - marginBot
	plotW := svgWidth - marginLeft - marginRight
	fmt.Fprintf(b, `<text x="%d" y="%d" font-size="13" font-weight="bold">%s</text>`+"\n", marginLeft, top+24, esc(p.title))

	max := 0.0
	for _, row := range p.values {
		for _, v := range row {
			if !math.IsNaN(v) && v > max {
				max = v
			}
		}
	}
	top4 := niceCeil(max * 1.1)
	for i := 0; i <= 4; i++ {
		v := top4 * float64(i) / 4
		y := float64(plotTop+plotH) - float64(plotH)*v/top4
		fmt.Fprintf(b, `<line x1="%d" y1="%.1f" x2="%d" y2="%.1f" stroke="#ddd"/>`, marginLeft, y, marginLeft+plotW, y)
		fmt.Fprintf(b, `<text x="%d" y="%.1f" text-anchor="end" fill="#555">%s</text>`+"\n", marginLeft-6, y+4, trimFloat(v))
	}

	groupW := float64(plotW) / float64(len(p.groups))
	barW := groupW * 0.8 / float64(len(peers))
	for g, name := range p.groups {
		gx := float64(marginLeft) + groupW*float64(g) + groupW*0.1
		for i, v := range p.values[g] {
			bx := gx + barW*float64(i)
			if math.IsNaN(v) {
				fmt.Fprintf(b, `<text x="%.1f" y="%d" text-anchor="middle" font-size="9" fill="#999">n/a</text>`+"\n",
					bx+barW/2, plotTop+plotH-3)
				continue
			}
			h := float64(plotH) * v / top4
			y := float64(plotTop+plotH) - h
			fmt.Fprintf(b, `<rect x="%.1f" y="%.1f" width="%.1f" height="%.1f" fill="%s"/>`, bx, y, barW-1, h, peerColors[peers[i].name])
			fmt.Fprintf(b, `<text x="%.1f" y="%.1f" text-anchor="middle" font-size="9">%s</text>`+"\n",
				bx+barW/2, y-3, fmt.Sprintf(p.format, v))
		}
		first, rest, _ := strings.Cut(name, " ")
		fmt.Fprintf(b, `<text x="%.1f" y="%d" text-anchor="middle" font-size="11">%s</text>`+"\n",
			gx+groupW*0.4, plotTop+plotH+16, esc(first))
		fmt.Fprintf(b, `<text x="%.1f" y="%d" text-anchor="middle" font-size="11">%s</text>`+"\n",
			gx+groupW*0.4, plotTop+plotH+30, esc(rest))
	}
	fmt.Fprintf(b, `<line x1="%d" y1="%d" x2="%d" y2="%d" stroke="#333"/>`+"\n", marginLeft, plotTop+plotH, marginLeft+plotW, plotTop+plotH)
}

// niceCeil rounds v up to 1, 2 or 5 times a power of ten.
func niceCeil(v float64) float64 {
	if v <= 0 {
		return 1
	}
	p := math.Pow(10, math.Floor(math.Log10(v)))
	for _, m := range []float64{1, 2, 2.5, 5, 10} {
		if m*p >= v {
			return m * p
		}
	}
	return 10 * p
}

func trimFloat(v float64) string {
	s := fmt.Sprintf("%.2f", v)
	s = strings.TrimRight(strings.TrimRight(s, "0"), ".")
	return s
}

func esc(s string) string { return html.EscapeString(s) }
