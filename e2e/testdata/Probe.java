import java.io.InputStream;
import java.net.Proxy;
import java.net.URL;
import java.security.cert.CertPathValidatorException;
import java.security.cert.CertificateException;
import javax.net.ssl.HttpsURLConnection;
import javax.net.ssl.SSLException;

/**
 * Fetches a URL the way a Java program using HttpsURLConnection would, with
 * whatever trust store the javax.net.ssl.trustStore properties name.
 *
 * <p>usage: java Probe URL. Exit 0 with the page on stdout when the
 * certificate is trusted; exit 3 with "REJECT reason" when certificate
 * validation fails; any other failure is a stack trace and exit 1.
 */
public class Probe {
  public static void main(String[] args) throws Exception {
    HttpsURLConnection conn = (HttpsURLConnection) new URL(args[0]).openConnection(Proxy.NO_PROXY);
    conn.setConnectTimeout(30000);
    conn.setReadTimeout(30000);
    try (InputStream in = conn.getInputStream()) {
      System.out.write(in.readAllBytes());
      System.out.flush();
    } catch (SSLException e) {
      for (Throwable c = e; c != null; c = c.getCause()) {
        if (c instanceof CertificateException || c instanceof CertPathValidatorException) {
          System.out.println("REJECT " + c);
          System.exit(3);
        }
      }
      throw e;
    }
  }
}
