package output

// The HTML report's inline stylesheet and scripts. Nothing here refers to
// anything outside the page: the report's Content-Security-Policy
// (htmlCSP) would block it.

// htmlErrorJS runs first: any script error is written into #js-errors, so
// that a test reading the rendered DOM sees it (and so does a reader).
const htmlErrorJS = `window.onerror=function(m,s,l,c){var e=document.getElementById('js-errors');` +
	`if(e){e.textContent+=m+' (line '+l+':'+c+')\n';e.style.display='block';}` +
	`document.documentElement.setAttribute('data-js-error','1');};`

// htmlCSS is the report's stylesheet (screen and print).
const htmlCSS = `
:root{--ok:#1a7f37;--bad:#cf222e;--unk:#9a6700;--ctl:#57606a;--bg:#fff;--fg:#1f2328;--mute:#656d76;--line:#d0d7de}
body{font:14px/1.45 system-ui,-apple-system,"Segoe UI",sans-serif;color:var(--fg);background:var(--bg);margin:1.2em 2em}
h1{font-size:1.5em;margin:.2em 0}h2{font-size:1.25em;border-bottom:1px solid var(--line);padding-bottom:.2em;margin-top:1.6em}
h3{font-size:1.05em;margin:.8em 0 .3em}
nav a{margin-right:1em}code,pre,.tt td,.ep{font-family:ui-monospace,SFMono-Regular,Menlo,monospace;font-size:12.5px}
.facts{margin:.3em 0}dl.facts{display:grid;grid-template-columns:max-content auto;gap:.15em 1em}dl.facts dt{color:var(--mute)}dl.facts dd{margin:0}
.verdicts{display:flex;flex-wrap:wrap;gap:.5em;margin:.8em 0}
.vc{border:1px solid var(--line);border-radius:6px;padding:.3em .8em;min-width:5.5em;text-align:center}
.vc .n{display:block;font-size:1.5em;font-weight:600}.vc .w{color:var(--mute)}
.vc.v-ok .n{color:var(--ok)}.vc.v-unknown .n{color:var(--unk)}
.vc.v-dropped .n,.vc.v-reset .n,.vc.v-unreachable .n,.vc.v-refused .n,.vc.v-not-attempted .n{color:var(--bad)}
.warn{border-left:4px solid var(--unk);background:#fff8c5;padding:.2em 1em;margin:.8em 0}
.warn h3{margin:.4em 0}.more{color:var(--mute)}
.js-errors{display:none;white-space:pre-wrap;background:#ffebe9;border:1px solid var(--bad);padding:.5em}
.server{margin:1em 0 1.6em}
svg{display:block;max-width:100%;height:auto;font:11px system-ui,sans-serif}
svg .ok{fill:var(--ok);stroke:var(--ok)}svg .bad{fill:var(--bad);stroke:var(--bad)}svg .unk{fill:var(--unk);stroke:var(--unk)}svg .ctl{fill:var(--ctl);stroke:var(--ctl)}
svg rect.ok,svg rect.bad,svg.ports path,svg.timeline path{stroke:none}svg .allowed{fill:#dafbe1;stroke:var(--ok);stroke-dasharray:3 2}
svg .base,svg .tick{stroke:var(--line)}svg .lbl{fill:var(--mute)}svg .tl{fill:var(--mute);text-anchor:middle}svg .tl.end{text-anchor:end}
svg.lad text{stroke:none}svg .ln{font-weight:600;text-anchor:middle;fill:var(--fg)}svg .ls{text-anchor:middle;fill:var(--mute)}
svg .lane{stroke:#8c959f;stroke-width:1.5}svg .cap{stroke:#8250df;stroke-dasharray:2 3}svg .capl{fill:#8250df;text-anchor:middle;font-size:10px}
svg .tm{fill:var(--mute);font-family:ui-monospace,monospace;font-size:10px}
svg .a{fill:none;stroke-width:1.6}svg .a.d{stroke-dasharray:5 4}svg .h{fill:none;stroke-width:1.6}
svg .al{text-anchor:middle;stroke:none}svg .q{font-weight:700;stroke:none}svg .note{stroke:none;font-style:italic}
svg .fold{stroke:var(--line);stroke-dasharray:1 3;stroke-width:2}svg .foldl{fill:var(--mute);text-anchor:middle;font-style:italic}
details.ladder{border:1px solid var(--line);border-radius:6px;margin:.6em 0;padding:.3em .8em}
details.ladder.failed{border-color:var(--bad)}details.ladder summary{cursor:pointer}
.v{font-weight:600}.v.v-ok{color:var(--ok)}.v.v-unknown{color:var(--unk)}
.v.v-dropped,.v.v-reset,.v.v-unreachable,.v.v-refused,.v.v-not-attempted{color:var(--bad)}
.filters{margin:.5em 0}.filters label{margin-right:.8em}
table.tt{border-collapse:collapse;width:100%}table.tt th{cursor:pointer;text-align:left;background:#f6f8fa;position:sticky;top:0}
.twrap{overflow-x:auto}table.tt{font-size:12.5px}table.tt td:last-child{min-width:12em;font-family:inherit}table.tt td:first-child{white-space:nowrap}
table.tt th,table.tt td{border-bottom:1px solid var(--line);padding:.2em .5em;vertical-align:top}
table.tt th.asc::after{content:" ▲"}table.tt th.desc::after{content:" ▼"}
.finding{border-left:4px solid var(--bad);padding:.1em 1em;margin:.6em 0}.finding.ok{border-color:var(--unk)}
.conf{color:var(--mute)}pre.fix{background:#f6f8fa;border:1px solid var(--line);padding:.6em;overflow-x:auto;white-space:pre}
.fixbox{position:relative}.fixbox button{position:absolute;top:.3em;right:.3em}
.legend span{margin-right:1.2em}
@media print{nav,.filters,.fixbox button{display:none}details.ladder{break-inside:avoid}body{margin:0}table.tt th{position:static}}
`

// htmlJS sorts and filters the transfers table and wires the copy buttons.
// It ends by marking the document (data-js="ok"), which tests read.
const htmlJS = `(function(){
var tb=document.getElementById('transfer-table');
if(tb){
 var body=tb.tBodies[0],rows=Array.prototype.slice.call(body.rows);
 var f={verdict:document.getElementById('f-verdict'),server:document.getElementById('f-server'),
  client:document.getElementById('f-client'),mode:document.getElementById('f-mode'),command:document.getElementById('f-command')};
 var cnt=document.getElementById('f-count');
 function txt(r,i){return r.cells[i].textContent.toLowerCase();}
 function apply(){
  var v=f.verdict.value,s=f.server.value.toLowerCase(),c=f.client.value.toLowerCase(),m=f.mode.value,k=f.command.value.toLowerCase(),n=0;
  rows.forEach(function(r){
   var ok=(!v||(v==='!failed'?r.getAttribute('data-failed')==='1':r.getAttribute('data-verdict')===v))&&
    (!s||txt(r,3).indexOf(s)>=0)&&(!c||txt(r,2).indexOf(c)>=0)&&(!m||r.getAttribute('data-mode')===m)&&(!k||txt(r,6).indexOf(k)>=0);
   r.style.display=ok?'':'none';if(ok)n++;});
  cnt.textContent=n+' of '+rows.length+' rows';
 }
 ['verdict','mode'].forEach(function(x){f[x].addEventListener('change',apply);});
 ['server','client','command'].forEach(function(x){f[x].addEventListener('input',apply);});
 var ths=tb.tHead.rows[0].cells,cur=-1,dir=1;
 Array.prototype.forEach.call(ths,function(th,i){th.addEventListener('click',function(){
  dir=(cur===i)?-dir:1;cur=i;
  Array.prototype.forEach.call(ths,function(h){h.className='';});th.className=dir>0?'asc':'desc';
  rows.sort(function(a,b){
   var x=a.cells[i],y=b.cells[i],nx=x.getAttribute('data-n'),ny=y.getAttribute('data-n'),d;
   if(nx!==null&&ny!==null){d=Number(nx)-Number(ny);}else{d=x.textContent<y.textContent?-1:x.textContent>y.textContent?1:0;}
   return d*dir;});
  rows.forEach(function(r){body.appendChild(r);});
 });});
 apply();
}
Array.prototype.forEach.call(document.querySelectorAll('.fixbox button'),function(bt){
 bt.addEventListener('click',function(){
  var pre=bt.parentNode.querySelector('pre'),t=pre.textContent;
  if(navigator.clipboard&&navigator.clipboard.writeText){navigator.clipboard.writeText(t).then(function(){bt.textContent='copied';},function(){sel(pre);});}
  else{sel(pre);}
 });});
function sel(pre){var r=document.createRange();r.selectNodeContents(pre);var s=window.getSelection();s.removeAllRanges();s.addRange(r);}
document.documentElement.setAttribute('data-js','ok');
})();`
