package newswire.analysis;

import java.util.Map;
import java.util.function.Supplier;
import java.util.stream.Collectors;

import org.apache.lucene.analysis.Analyzer;
import org.apache.lucene.analysis.ar.ArabicAnalyzer;
import org.apache.lucene.analysis.bg.BulgarianAnalyzer;
import org.apache.lucene.analysis.bn.BengaliAnalyzer;
import org.apache.lucene.analysis.br.BrazilianAnalyzer;
import org.apache.lucene.analysis.ca.CatalanAnalyzer;
import org.apache.lucene.analysis.cjk.CJKAnalyzer;
import org.apache.lucene.analysis.ckb.SoraniAnalyzer;
import org.apache.lucene.analysis.cz.CzechAnalyzer;
import org.apache.lucene.analysis.da.DanishAnalyzer;
import org.apache.lucene.analysis.de.GermanAnalyzer;
import org.apache.lucene.analysis.el.GreekAnalyzer;
import org.apache.lucene.analysis.en.EnglishAnalyzer;
import org.apache.lucene.analysis.es.SpanishAnalyzer;
import org.apache.lucene.analysis.et.EstonianAnalyzer;
import org.apache.lucene.analysis.eu.BasqueAnalyzer;
import org.apache.lucene.analysis.fa.PersianAnalyzer;
import org.apache.lucene.analysis.fi.FinnishAnalyzer;
import org.apache.lucene.analysis.fr.FrenchAnalyzer;
import org.apache.lucene.analysis.ga.IrishAnalyzer;
import org.apache.lucene.analysis.gl.GalicianAnalyzer;
import org.apache.lucene.analysis.hi.HindiAnalyzer;
import org.apache.lucene.analysis.hu.HungarianAnalyzer;
import org.apache.lucene.analysis.hy.ArmenianAnalyzer;
import org.apache.lucene.analysis.id.IndonesianAnalyzer;
import org.apache.lucene.analysis.it.ItalianAnalyzer;
import org.apache.lucene.analysis.lt.LithuanianAnalyzer;
import org.apache.lucene.analysis.lv.LatvianAnalyzer;
import org.apache.lucene.analysis.nl.DutchAnalyzer;
import org.apache.lucene.analysis.no.NorwegianAnalyzer;
import org.apache.lucene.analysis.pt.PortugueseAnalyzer;
import org.apache.lucene.analysis.ro.RomanianAnalyzer;
import org.apache.lucene.analysis.ru.RussianAnalyzer;
import org.apache.lucene.analysis.sr.SerbianAnalyzer;
import org.apache.lucene.analysis.sv.SwedishAnalyzer;
import org.apache.lucene.analysis.th.ThaiAnalyzer;
import org.apache.lucene.analysis.tr.TurkishAnalyzer;
import org.elasticsearch.index.analysis.AbstractIndexAnalyzerProvider;
import org.elasticsearch.index.analysis.AnalyzerProvider;
import org.elasticsearch.indices.analysis.AnalysisModule.AnalysisProvider;
import org.elasticsearch.plugins.AnalysisPlugin;
import org.elasticsearch.plugins.Plugin;

/**
 * Elasticsearch's language analyzers (english, german, french, ...), under their usual names.
 *
 * Elasticsearch ships them in its analysis-common module, which the integration-test
 * distribution leaves out. Each one here is the Lucene analyzer the module's is built on, with
 * Lucene's default stop words and no stem exclusions (the module's settings `stopwords` and
 * `stem_exclusion` are not offered: newswire's mapping does not use them).
 */
public final class LanguageAnalysisPlugin extends Plugin implements AnalysisPlugin {

    private static final Map<String, Supplier<Analyzer>> LANGUAGES = Map.ofEntries(
        Map.entry("arabic", ArabicAnalyzer::new),
        Map.entry("armenian", ArmenianAnalyzer::new),
        Map.entry("basque", BasqueAnalyzer::new),
        Map.entry("bengali", BengaliAnalyzer::new),
        Map.entry("brazilian", BrazilianAnalyzer::new),
        Map.entry("bulgarian", BulgarianAnalyzer::new),
        Map.entry("catalan", CatalanAnalyzer::new),
        Map.entry("cjk", CJKAnalyzer::new),
        Map.entry("czech", CzechAnalyzer::new),
        Map.entry("danish", DanishAnalyzer::new),
        Map.entry("dutch", DutchAnalyzer::new),
        Map.entry("english", EnglishAnalyzer::new),
        Map.entry("estonian", EstonianAnalyzer::new),
        Map.entry("finnish", FinnishAnalyzer::new),
        Map.entry("french", FrenchAnalyzer::new),
        Map.entry("galician", GalicianAnalyzer::new),
        Map.entry("german", GermanAnalyzer::new),
        Map.entry("greek", GreekAnalyzer::new),
        Map.entry("hindi", HindiAnalyzer::new),
        Map.entry("hungarian", HungarianAnalyzer::new),
        Map.entry("indonesian", IndonesianAnalyzer::new),
        Map.entry("irish", IrishAnalyzer::new),
        Map.entry("italian", ItalianAnalyzer::new),
        Map.entry("latvian", LatvianAnalyzer::new),
        Map.entry("lithuanian", LithuanianAnalyzer::new),
        Map.entry("norwegian", NorwegianAnalyzer::new),
        Map.entry("persian", PersianAnalyzer::new),
        Map.entry("portuguese", PortugueseAnalyzer::new),
        Map.entry("romanian", RomanianAnalyzer::new),
        Map.entry("russian", RussianAnalyzer::new),
        Map.entry("serbian", SerbianAnalyzer::new),
        Map.entry("sorani", SoraniAnalyzer::new),
        Map.entry("spanish", SpanishAnalyzer::new),
        Map.entry("swedish", SwedishAnalyzer::new),
        Map.entry("thai", ThaiAnalyzer::new),
        Map.entry("turkish", TurkishAnalyzer::new));

    @Override
    public Map<String, AnalysisProvider<AnalyzerProvider<? extends Analyzer>>> getAnalyzers() {
        return LANGUAGES.entrySet().stream().collect(Collectors.toUnmodifiableMap(
            Map.Entry::getKey, entry -> provider(entry.getValue())));
    }

    /** A new analyzer for each index that asks for one, as the module's providers do. */
    private static AnalysisProvider<AnalyzerProvider<? extends Analyzer>> provider(Supplier<Analyzer> make) {
        return (index, env, name, settings) -> new Provider(name, make.get());
    }

    private static final class Provider extends AbstractIndexAnalyzerProvider<Analyzer> {
        private final Analyzer analyzer;

        Provider(String name, Analyzer analyzer) {
            super(name);
            this.analyzer = analyzer;
        }

        @Override
        public Analyzer get() {
            return analyzer;
        }
    }
}
